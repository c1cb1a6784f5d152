package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Half-close in both directions through the relay, with plain sockets on both ends: whichever
 * side ends its output first, the other direction keeps flowing until that side ends too.
 */
class HalfCloseTest {

    private static final byte[] HEAD =
            "GET / HTTP/1.0\r\nHost: half.example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private ServerSocket upstream;
    private RelayHarness relay;

    private void start() throws Exception {
        start(50);
    }

    private void start(int backlog) throws Exception {
        upstream = new ServerSocket(0, backlog, InetAddress.getLoopbackAddress());
        relay = RelayHarness.start(
                RelayHarness.defaultConfig(),
                List.of(RelayHarness.operator(
                        "half",
                        List.of("half.example.test"),
                        new InetSocketAddress("127.0.0.1", upstream.getLocalPort()),
                        null,
                        ProxyProtocol.NONE)));
    }

    @AfterEach
    void stop() throws IOException {
        if (relay != null) {
            relay.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void theClientKeepsSendingAfterTheUpstreamEndedItsOutput() throws Exception {
        start();
        // The upstream answers, ends its output, and then reads everything the client still sends.
        CompletableFuture<String> upstreamRead = upstreamConnection(0, s -> {
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(HEAD.length), StandardCharsets.US_ASCII);
            s.getOutputStream().write("answer\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return head + readToEnd(in);
        });
        try (Socket c = clientThroughRelay()) {
            c.getOutputStream().write(HEAD);
            // The answer and then end of stream: the upstream's FIN reached the client...
            assertThat(readToEnd(c.getInputStream())).isEqualTo("answer\n");
            // ...while the client's direction is still open: what it sends now still arrives.
            c.getOutputStream().write("after the answer\n".getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            c.shutdownOutput();
            assertThat(upstreamRead.get(10, TimeUnit.SECONDS))
                    .isEqualTo(new String(HEAD, StandardCharsets.US_ASCII) + "after the answer\n");
        }
    }

    @Test
    void theUpstreamKeepsAnsweringAfterTheClientEndedItsOutput() throws Exception {
        start();
        CompletableFuture<String> upstreamRead = upstreamConnection(0, s -> {
            String got = readToEnd(s.getInputStream());
            // Only after the client's FIN: two writes, then the upstream closes.
            s.getOutputStream().write("one\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getOutputStream().write("two\n".getBytes(StandardCharsets.US_ASCII));
            return got;
        });
        try (Socket c = clientThroughRelay()) {
            c.getOutputStream().write(HEAD);
            c.shutdownOutput();
            assertThat(readToEnd(c.getInputStream())).isEqualTo("one\ntwo\n");
            assertThat(upstreamRead.get(10, TimeUnit.SECONDS)).isEqualTo(new String(HEAD, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void whatTheClientSendsWhileTheRelayDialsArrivesWithItsEndOfInput() throws Exception {
        start(1);
        // With the upstream's accept queue full the kernel drops the relay's SYN, so the dial
        // waits for the SYN to be sent again (1 s): everything the client sends, and its FIN,
        // arrive while the relay is still dialing.
        List<Socket> queued = fillAcceptQueue();
        long overflows = listenOverflows();
        // Small enough for the relay's receive window, so that the FIN is not held back behind it.
        byte[] body = new byte[16 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        byte[] request = new byte[HEAD.length + body.length];
        System.arraycopy(HEAD, 0, request, 0, HEAD.length);
        System.arraycopy(body, 0, request, HEAD.length, body.length);
        try (Socket c = clientThroughRelay()) {
            c.getOutputStream().write(request);
            c.shutdownOutput();
            // The relay's first SYN was dropped: it is dialing. Then make room: the queued
            // connections are taken, and its next SYN gets through.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (listenOverflows() == overflows) {
                assertThat(System.nanoTime())
                        .as("the relay's SYN to a full accept queue")
                        .isLessThan(deadline);
                Thread.onSpinWait();
            }
            CompletableFuture<String> upstreamRead = upstreamConnection(queued.size(), s -> {
                String got = readToEnd(s.getInputStream());
                s.getOutputStream().write(("got " + got.length() + "\n").getBytes(StandardCharsets.US_ASCII));
                return got;
            });
            assertThat(readToEnd(c.getInputStream())).isEqualTo("got " + request.length + "\n");
            assertThat(upstreamRead.get(10, TimeUnit.SECONDS))
                    .isEqualTo(new String(request, StandardCharsets.US_ASCII));
        } finally {
            for (Socket q : queued) {
                q.close();
            }
        }
    }

    /** What the upstream does with one connection; returns what the test checks. */
    @FunctionalInterface
    private interface UpstreamSession {
        String run(Socket s) throws IOException;
    }

    /** Accepts (and closes) {@code skip} queued connections, then runs {@code session} on the next. */
    private CompletableFuture<String> upstreamConnection(int skip, UpstreamSession session) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                for (int i = 0; i < skip; i++) {
                    upstream.accept().close();
                }
                try (Socket s = upstream.accept()) {
                    s.setSoTimeout(10_000);
                    return session.run(s);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private Socket clientThroughRelay() throws IOException {
        Socket c = new Socket();
        c.connect(new InetSocketAddress("127.0.0.1", relay.httpPort()), 5000);
        c.setSoTimeout(10_000);
        return c;
    }

    /** The kernel's count of SYNs dropped because an accept queue was full (/proc/net/netstat). */
    private static long listenOverflows() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("TcpExt:") && lines.get(i + 1).startsWith("TcpExt:")) {
                List<String> names = List.of(lines.get(i).split(" "));
                return Long.parseLong(lines.get(i + 1).split(" ")[names.indexOf("ListenOverflows")]);
            }
        }
        throw new IllegalStateException("/proc/net/netstat: no TcpExt ListenOverflows (expected: Linux)");
    }

    /** Connects to the upstream until its accept queue is full (a connect no longer completes). */
    private List<Socket> fillAcceptQueue() throws IOException {
        List<Socket> queued = new ArrayList<>();
        while (queued.size() < 16) {
            Socket q = new Socket();
            try {
                q.connect(upstream.getLocalSocketAddress(), 300);
                queued.add(q);
            } catch (SocketTimeoutException full) {
                q.close();
                return queued;
            }
        }
        throw new IllegalStateException(
                "accept queue: " + queued.size() + " connections completed (expected: full after 2)");
    }

    private static String readToEnd(InputStream in) throws IOException {
        return new String(Raw.readToEndStrictly(in), StandardCharsets.US_ASCII);
    }
}
