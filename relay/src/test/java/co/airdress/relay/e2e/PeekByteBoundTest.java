package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.sni.ClientHelloPeek;
import co.airdress.relay.sni.HelloBuilder;
import co.airdress.relay.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a client may make the relay hold before its host is known is bounded by the bytes it sent,
 * through real sockets: a 16 KiB ClientHello cut into 1-byte TLS records (96 KiB on the wire) is
 * refused with handshake_failure once {@code limits.max_tls_peek} bytes have arrived, never
 * reaching the operator, while a hello at the cap in records of 64 bytes still fits exactly. The
 * HTTP head bound counts every byte received the same way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeekByteBoundTest {

    private static final String HOST = "big.example.test";
    private static final byte[] HANDSHAKE_FAILURE = {21, 3, 1, 0, 2, 2, 40};

    /** Accepts connections and keeps what each sent until it closed. */
    private static final class CountingUpstream implements AutoCloseable {
        final ServerSocket server;
        final List<ByteArrayOutputStream> connections = new CopyOnWriteArrayList<>();

        CountingUpstream() throws IOException {
            server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        ByteArrayOutputStream got = new ByteArrayOutputStream();
                        connections.add(got);
                        Thread.ofPlatform().daemon().start(() -> {
                            try (s) {
                                s.getInputStream().transferTo(got);
                            } catch (IOException e) {
                                // the relay closed it
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private CountingUpstream upstream;
    private RelayHarness relay;

    @BeforeAll
    void start() throws Exception {
        upstream = new CountingUpstream();
        relay = RelayHarness.start(
                RelayHarness.defaultConfig(),
                List.of(RelayHarness.operator(
                        "big", List.of(HOST), upstream.address(), upstream.address(), ProxyProtocol.NONE)));
        assertThat(relay.config.limits().maxTlsPeek()).isEqualTo(ClientHelloPeek.DEFAULT_MAX_BYTES);
    }

    @AfterAll
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** A ClientHello for {@link #HOST} of exactly the default cap, 16 KiB of handshake bytes. */
    private static byte[] helloAtTheCap() {
        int unpadded = HelloBuilder.hello().sni(HOST).handshake().length;
        byte[] hs = HelloBuilder.hello()
                .sni(HOST)
                .padding(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH - unpadded - 4)
                .handshake();
        assertThat(hs).hasSize(16384);
        return hs;
    }

    /** Sends {@code bytes} in writes of {@code write} bytes, then reads the answer until EOF. */
    private byte[] send(int port, byte[] bytes, int write) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            try {
                for (int off = 0; off < bytes.length; off += write) {
                    out.write(bytes, off, Math.min(write, bytes.length - off));
                }
            } catch (IOException e) {
                // the relay may have answered and closed before the last write: read what it said
            }
            InputStream in = s.getInputStream();
            return Raw.readToEnd(in);
        }
    }

    private double tooLarge(String listener) {
        return relay.counter("relay.peek", "listener", listener, "result", "too_large");
    }

    @Test
    void aSixteenKibHelloInOneByteRecordsIsRefusedWithinTheBoundAndNeverRelayed() throws Exception {
        byte[] wire = HelloBuilder.records(helloAtTheCap(), 1);
        assertThat(wire).hasSize(98_304);
        double before = tooLarge("tls");
        int connections = upstream.connections.size();
        // Only the bound's worth is sent, and the connection stays open: the answer cannot have
        // waited for more bytes than that.
        byte[] answer;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", relay.tlsPort()), 5000);
            s.setSoTimeout(15_000);
            s.getOutputStream().write(wire, 0, ClientHelloPeek.DEFAULT_MAX_BYTES);
            answer = Raw.readToEnd(s.getInputStream());
        }
        assertThat(answer).containsExactly(HANDSHAKE_FAILURE);
        Await.until(Duration.ofSeconds(10), "the refusal to be counted", () -> tooLarge("tls") == before + 1);
        // All of it, as an attacker would send it: refused the same way.
        assertThat(send(relay.tlsPort(), wire, 4096)).containsExactly(HANDSHAKE_FAILURE);
        Await.until(Duration.ofSeconds(10), "the second refusal to be counted", () -> tooLarge("tls") == before + 2);
        Await.until(
                Duration.ofSeconds(10),
                "both connections closed with outcome too_large",
                () -> relay.counter("relay.connections.closed", "listener", "tls", "outcome", "too_large") >= 2);
        assertThat(upstream.connections).as("nothing reached the operator").hasSize(connections);
    }

    @Test
    void aHelloAtTheCapInRecordsOf64BytesFitsExactlyAndOf63DoesNot() throws Exception {
        byte[] fits = HelloBuilder.records(helloAtTheCap(), 64);
        assertThat(fits).hasSize(ClientHelloPeek.DEFAULT_MAX_BYTES);
        int connections = upstream.connections.size();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", relay.tlsPort()), 5000);
            s.getOutputStream().write(fits);
            Await.until(
                    Duration.ofSeconds(10),
                    "the operator to receive the whole hello",
                    () -> upstream.connections.size() == connections + 1
                            && upstream.connections.get(connections).size() == fits.length);
        }
        assertThat(upstream.connections.get(connections).toByteArray()).isEqualTo(fits);

        byte[] over = HelloBuilder.records(helloAtTheCap(), 63);
        assertThat(send(relay.tlsPort(), over, 1000)).containsExactly(HANDSHAKE_FAILURE);
        assertThat(upstream.connections).hasSize(connections + 1);
    }

    @Test
    void theHttpHeadBoundCountsEveryByteReceivedHoweverItArrives() throws Exception {
        int max = relay.config.limits().maxHttpHead();
        String start = "GET / HTTP/1.1\r\nHost: " + HOST + "\r\nX-Fill: ";
        String end = "\r\n\r\n";
        byte[] exact =
                (start + "a".repeat(max - start.length() - end.length()) + end).getBytes(StandardCharsets.US_ASCII);
        assertThat(exact).hasSize(max);
        int connections = upstream.connections.size();
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", relay.httpPort()), 5000);
            OutputStream out = s.getOutputStream();
            for (int off = 0; off < exact.length; off += 7) {
                out.write(exact, off, Math.min(7, exact.length - off));
            }
            Await.until(
                    Duration.ofSeconds(10),
                    "the operator to receive the whole head",
                    () -> upstream.connections.size() == connections + 1
                            && upstream.connections.get(connections).size() == exact.length);
        }

        double before = tooLarge("http");
        byte[] over =
                (start + "a".repeat(max - start.length() - end.length() + 1) + end).getBytes(StandardCharsets.US_ASCII);
        String answer = new String(send(relay.httpPort(), over, 7), StandardCharsets.US_ASCII);
        assertThat(answer).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
        // Only the bound's worth, without the head's end: answered without waiting for more.
        answer = new String(send(relay.httpPort(), java.util.Arrays.copyOf(over, max), 7), StandardCharsets.US_ASCII);
        assertThat(answer).startsWith("HTTP/1.1 431 ");
        Await.until(Duration.ofSeconds(10), "both refusals to be counted", () -> tooLarge("http") == before + 2);
        assertThat(upstream.connections).hasSize(connections + 1);
    }
}
