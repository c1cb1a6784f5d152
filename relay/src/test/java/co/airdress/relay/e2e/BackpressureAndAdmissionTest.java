package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A slow reader cannot make the relay buffer without bound; stalled peekers cannot starve others. */
class BackpressureAndAdmissionTest {

    private static final int BULK = 32 * 1024 * 1024;

    /** Answers any connection with {@link #BULK} bytes, counting what the kernel accepted. */
    private static final class BulkUpstream implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong written = new AtomicLong();
        final Thread thread;

        BulkUpstream() throws IOException {
            server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            thread = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    s.setSendBufferSize(64 * 1024);
                    s.getInputStream().read(new byte[4096]); // the replayed request head
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[16 * 1024];
                    for (int sent = 0; sent < BULK; sent += chunk.length) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                    s.shutdownOutput();
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the test closed the connection
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void aSlowReaderPausesTheUpstreamInsteadOfFillingTheRelay() throws Exception {
        try (BulkUpstream up = new BulkUpstream();
                RelayHarness relay = RelayHarness.start(
                        RelayHarness.defaultConfig(),
                        List.of(RelayHarness.operator(
                                "bulk",
                                List.of("bulk.example.test"),
                                (InetSocketAddress) up.server.getLocalSocketAddress(),
                                null,
                                ProxyProtocol.NONE)));
                Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new InetSocketAddress("127.0.0.1", relay.httpPort()));
            client.getOutputStream()
                    .write("GET / HTTP/1.1\r\nHost: bulk.example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // The client reads nothing; wait until the upstream's writes stop making progress.
            long[] last = {-1};
            long[] since = {System.nanoTime()};
            Await.until(Duration.ofSeconds(30), "the upstream to stall", () -> {
                long now = up.written.get();
                if (now != last[0]) {
                    last[0] = now;
                    since[0] = System.nanoTime();
                    return false;
                }
                return now > 0
                        && System.nanoTime() - since[0] > Duration.ofMillis(500).toNanos();
            });
            long pending = relay.server.pendingOutboundBytes();
            long stalledAt = up.written.get();
            // High watermark (64 KiB) plus at most one read in flight.
            assertThat(pending).as("bytes the relay holds for the slow reader").isLessThanOrEqualTo(256 * 1024);
            assertThat(stalledAt).as("bytes the upstream got rid of").isLessThan(BULK / 2);
            // Reading resumes the whole transfer.
            InputStream in = client.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long body = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                body += n;
            }
            assertThat(body).isEqualTo(BULK);
            System.out.printf(
                    "slow reader: relay held %d bytes, upstream stalled after %d of %d bytes%n",
                    pending, stalledAt, BULK);
        }
    }

    @Test
    void twoThousandStalledPeekersDoNotDelayANormalClient() throws Exception {
        Prerequisites.tool("curl");
        try (HttpUpstream http = new HttpUpstream("fine")) {
            RelayConfig base = RelayHarness.defaultConfig();
            RelayConfig config = RelayHarness.config(base.limits(), Duration.ofSeconds(60), Duration.ofMinutes(1));
            try (RelayHarness relay = RelayHarness.start(
                    config,
                    List.of(RelayHarness.operator(
                            "fine", List.of("fine.example.test"), http.address(), null, ProxyProtocol.NONE)))) {
                List<SocketChannel> stalled = new ArrayList<>();
                try {
                    // 100 source addresses x 20 connections: under the per-address peeking limit (32).
                    for (int ip = 0; ip < 100; ip++) {
                        InetAddress source = InetAddress.ofLiteral("127.0.1." + (ip + 2));
                        for (int i = 0; i < 20; i++) {
                            SocketChannel ch = SocketChannel.open();
                            ch.bind(new InetSocketAddress(source, 0));
                            ch.connect(new InetSocketAddress("127.0.0.1", relay.tlsPort()));
                            ch.write(ByteBuffer.wrap(new byte[] {0x16, 0x03, 0x01})); // a record header, then silence
                            stalled.add(ch);
                        }
                    }
                    Await.until(
                            Duration.ofSeconds(30),
                            "2000 connections accepted",
                            () -> relay.server.activeConnections() >= 2000);
                    String out = Curl.run(
                            Duration.ofSeconds(5),
                            "-H",
                            "Host: fine.example.test",
                            "http://127.0.0.1:" + relay.httpPort() + "/");
                    assertThat(out).startsWith("upstream=fine");
                    // Still all there: the client was not served by waiting for them to time out.
                    assertThat(relay.server.activeConnections()).isGreaterThanOrEqualTo(2000);
                } finally {
                    for (SocketChannel ch : stalled) {
                        ch.close();
                    }
                }
            }
        }
    }

    @Test
    void overThePerAddressLimitIsClosedWithoutReading() throws Exception {
        RelayConfig base = RelayHarness.defaultConfig();
        RelayConfig.Limits l = base.limits();
        RelayConfig config = RelayHarness.config(
                new RelayConfig.Limits(l.maxConnections(), 2, l.maxPeekingPerIp(), l.maxClientHello(), l.maxHttpHead()),
                Duration.ofSeconds(30),
                Duration.ofMinutes(1));
        try (RelayHarness relay = RelayHarness.start(config, List.of());
                Socket a = new Socket();
                Socket b = new Socket();
                Socket c = new Socket();
                Socket other = new Socket()) {
            InetSocketAddress target = new InetSocketAddress("127.0.0.1", relay.tlsPort());
            for (Socket s : List.of(a, b, c)) {
                s.bind(new InetSocketAddress("127.0.2.1", 0));
                s.connect(target);
                s.setSoTimeout(10_000);
            }
            other.bind(new InetSocketAddress("127.0.2.2", 0));
            other.connect(target);
            // One of the three from 127.0.2.1 (whichever was accepted last) is closed unread.
            Await.until(
                    Duration.ofSeconds(10),
                    "the refusal to be counted",
                    () -> relay.counter("relay.connections.closed", "listener", "tls", "outcome", "over_limit") == 1);
            Await.until(
                    Duration.ofSeconds(10),
                    "two from 127.0.2.1 and one from 127.0.2.2 open",
                    () -> relay.server.activeConnections() == 3);
            int closed = 0;
            for (Socket s : List.of(a, b, c)) {
                s.setSoTimeout(300);
                try {
                    if (s.getInputStream().read() == -1) {
                        closed++;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    // still open, as it should be
                } catch (java.net.SocketException e) {
                    closed++; // reset: closed too
                }
            }
            assertThat(closed).isEqualTo(1);
        }
    }
}
