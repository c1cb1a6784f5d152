package co.airdress.relay.backhaul;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.BackhaulConfig;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.dial.DirectDialer;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.listen.RelayServer;
import co.airdress.relay.listen.Transport;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.proxy.ProxyV2Decoder;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.sni.HelloBuilder;
import co.airdress.relay.testing.Await;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.WireGuardKey;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two PoPs' data planes in one process on loopback: pop-a takes the client, the operator is
 * "attached at pop-b", so pop-a's dialer hands the connection to pop-b's backhaul listener, which
 * delivers it to the operator's upstream with the operator's PROXY v2 header carrying the original
 * client address, pop-b as the delivering PoP and pop-a as the ingress PoP. The upstream answers
 * with what its header said.
 */
class BackhaulLoopbackTest {

    private static final String HOST = "demo.example.test";
    private final Transport transport = Transport.select();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, transport.ioHandlerFactory());
    private RelayServer ingress;
    private BackhaulServer delivery;
    private ServerSocket upstream;
    private Thread upstreamThread;
    private volatile boolean silent;
    // pop-b's view of the attachments, and the operator's upstream when a test brings its own
    private AttachmentLookup deliveryAttachments = AttachmentLookup.LOCAL;
    private InetSocketAddress upstreamAt;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (ingress != null) {
            ingress.close();
        }
        if (delivery != null) {
            delivery.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        for (Socket s : held) {
            s.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (upstreamThread != null) {
            upstreamThread.join(5000);
        }
    }

    /** An operator upstream that reads a PROXY v2 header and an HTTP head, and answers with the header's contents. */
    private InetSocketAddress startUpstream() throws Exception {
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        upstreamThread = Thread.ofVirtual().start(() -> {
            while (!upstream.isClosed()) {
                try {
                    Socket s = upstream.accept();
                    if (silent) {
                        held.add(s); // read nothing, answer nothing: the connection stays open
                        continue;
                    }
                    try (s) {
                        answer(s);
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }
        });
        return (InetSocketAddress) upstream.getLocalSocketAddress();
    }

    private static void answer(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        ProxyV2Decoder d = new ProxyV2Decoder(ProxyV2Decoder.MAX_POSSIBLE);
        byte[] buf = new byte[4096];
        String body;
        while (true) {
            int n = in.read(buf);
            if (n < 0) {
                return;
            }
            seen.write(buf, 0, n);
            if (d.status() == ProxyV2Decoder.Status.NEED_MORE) {
                var chunk = Unpooled.wrappedBuffer(buf, 0, n);
                d.feed(chunk);
                if (d.status() != ProxyV2Decoder.Status.NEED_MORE && d.status() != ProxyV2Decoder.Status.DONE) {
                    body = "bad header: " + d.problem() + "\n";
                    break;
                }
            }
            String text = seen.toString(StandardCharsets.ISO_8859_1);
            boolean tls = d.status() == ProxyV2Decoder.Status.DONE
                    && seen.size() > d.header().length()
                    && seen.toByteArray()[d.header().length()] == 0x16;
            if (d.status() == ProxyV2Decoder.Status.DONE && (tls || text.endsWith("\r\n\r\n"))) {
                ProxyV2Decoder.Header h = d.header();
                body = "src=" + h.source().getAddress().getHostAddress() + " authority=" + h.authority() + " alpn="
                        + String.join(",", h.alpn()) + " pop=" + h.pop() + " ingress=" + h.ingressPop() + "\n";
                break;
            }
        }
        OutputStream out = s.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static RelayConfig relayConfig(String pop) {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return new RelayConfig(
                pop,
                new RelayConfig.Listen(any, any),
                new RelayConfig.Management(any, null),
                Path.of("operators.yaml"),
                RelayConfigFile.DEFAULT_LIMITS,
                new RelayConfig.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMinutes(1)),
                RelayConfigFile.DEFAULT_DRAIN);
    }

    private static PopAnnouncement announce(String name, String mesh) throws Exception {
        return new PopAnnouncement(
                name,
                WireGuardKey.of(new byte[32]),
                List.of(InetAddress.getByName(mesh)),
                new InetSocketAddress("203.0.113.9", 51821));
    }

    private RelayMetrics metricsA;
    private RelayMetrics metricsB;

    private int backhaulPort;
    private BackhaulMetrics backhaulA;

    /** Starts pop-b (the operator is attached there) and pop-a (the client's PoP, {@link #ingress}). */
    private void startPops() throws Exception {
        startPops(operator -> new Attachment.AtPop("pop-b"), Duration.ofSeconds(2));
    }

    /**
     * Starts pop-b and pop-a, whose dialer asks {@code attachments} where the operator is; pop-a
     * also knows pop-c, at mesh address 127.0.0.3, where nothing runs unless a test puts it there.
     */
    private void startPops(AttachmentLookup attachments, Duration connectTimeout) throws Exception {
        InetSocketAddress up = upstreamAt != null ? upstreamAt : startUpstream();
        Operator demo = new Operator("demo", List.of(HOST), new Upstream(up, up), ProxyProtocol.V2);
        Routes routes = new Routes(RouteTable.of(List.of(demo), 1));
        DirectDialer direct = new DirectDialer(connectTimeout, RelayServer.WATER_MARK);

        // pop-b: the operator is attached here; its backhaul listener on its "mesh address" 127.0.0.2
        RelayMetrics metricsB = new RelayMetrics("pop-b");
        BackhaulMetrics backhaulB = new BackhaulMetrics(metricsB.registry());
        PopTable popsB = new PopTable("pop-b", 8);
        popsB.put(announce("pop-a", "127.0.0.1"));
        BackhaulConfig meshB = new BackhaulConfig(
                "mesh0",
                Path.of("mesh.key"),
                List.of(IpPrefix.parse("127.0.0.2/32")),
                51821,
                new InetSocketAddress("203.0.113.2", 51821),
                0,
                1420,
                BackhaulConfig.DEFAULT_TOPIC,
                8,
                Duration.ofSeconds(5),
                BackhaulConfig.DEFAULT_MAX_HEADER);
        delivery = new BackhaulServer(
                "pop-b",
                meshB,
                routes,
                direct,
                deliveryAttachments,
                popsB,
                backhaulB,
                new DataPathMetrics(metricsB.registry()),
                Duration.ofMinutes(1),
                group,
                transport.serverChannel());
        backhaulPort = delivery.start().getFirst().getPort();

        // pop-a: takes the client; the operator is attached at pop-b, whose mesh address is 127.0.0.2
        RelayMetrics metricsA = new RelayMetrics("pop-a");
        backhaulA = new BackhaulMetrics(metricsA.registry());
        PopTable popsA = new PopTable("pop-a", 8);
        popsA.put(announce("pop-b", "127.0.0.2"));
        popsA.put(announce("pop-c", "127.0.0.3"));
        BackhaulDialer dialer = new BackhaulDialer(
                direct,
                direct,
                attachments,
                popsA,
                List.of(InetAddress.getByName("127.0.0.1")),
                backhaulPort,
                "pop-a",
                backhaulA);
        RelayConfig configA = relayConfig("pop-a");
        ingress = new RelayServer(
                configA,
                routes,
                dialer,
                new DataPathMetrics(metricsA.registry()),
                new HealthState("pop-a"),
                group,
                transport);
        ingress.start();
        this.metricsA = metricsA;
        this.metricsB = metricsB;
    }

    @Test
    void aConnectionForAnOperatorAttachedElsewhereReachesItWithTheOriginalClient() throws Exception {
        startPops();
        int httpPort = ingress.address(Listener.HTTP).getPort();

        String answer;
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress("127.0.0.5", 0));
            client.connect(new InetSocketAddress("127.0.0.1", httpPort), 5000);
            client.getOutputStream()
                    .write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertThat(answer)
                .startsWith("HTTP/1.1 200")
                .endsWith("src=127.0.0.5 authority=" + HOST + " alpn= pop=pop-b ingress=pop-a\n");
        assertThat(metricsA.registry()
                        .get("relay.backhaul.connections")
                        .tags("direction", "out", "pop", "pop-b")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(metricsB.registry()
                        .get("relay.backhaul.connections")
                        .tags("direction", "in", "pop", "pop-a")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(metricsA.registry()
                        .get("relay.backhaul.dial")
                        .tags("pop", "pop-b")
                        .timer()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void aTlsConnectionCrossesTooWithItsAlpn() throws Exception {
        startPops();
        int tlsPort = ingress.address(Listener.TLS).getPort();
        byte[] hello = HelloBuilder.hello().sni(HOST).alpn("h2", "http/1.1").bytes();
        String answer;
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress("127.0.0.6", 0));
            client.connect(new InetSocketAddress("127.0.0.1", tlsPort), 5000);
            client.getOutputStream().write(hello);
            answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertThat(answer).endsWith("src=127.0.0.6 authority=" + HOST + " alpn=h2,http/1.1 pop=pop-b ingress=pop-a\n");
        assertThat(metricsB.registry()
                        .get("relay.backhaul.connections")
                        .tags("direction", "in", "pop", "pop-a")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    /** A drain of the delivering PoP waits for its backhauled connections and closes what remains. */
    @Test
    void theDeliveringPopCountsItsBackhauledConnectionsAndClosesThemWhenTold() throws Exception {
        silent = true;
        startPops();
        try (Socket client = new Socket()) {
            client.setSoTimeout(10_000);
            sendGet(client);
            Await.until(Duration.ofSeconds(10), "pop-b holds the backhauled connection", () -> !held.isEmpty());
            assertThat(delivery.activeConnections()).isEqualTo(1);

            delivery.closeAll();

            assertThat(client.getInputStream().read()).isEqualTo(-1); // the ingress PoP passed the close on
            Await.until(Duration.ofSeconds(5), "pop-b's connection gone", () -> delivery.activeConnections() == 0);
        }
    }

    /**
     * The operator's PoP (pop-c) died: its listener takes no connection (here: a full accept queue,
     * so the dial's SYNs go unanswered, as to a dead peer). While pop-a dials it, the operator
     * re-attaches at pop-a; the dial is abandoned and the client served by pop-a itself, long
     * before the 30 s connect timeout.
     */
    @Test
    void aDialToAPopTheOperatorLeftIsAbandonedAndTheClientServedWhereItIsNow() throws Exception {
        AtomicReference<Attachment> attachment = new AtomicReference<>(new Attachment.AtPop("pop-c"));
        CountDownLatch chosen = new CountDownLatch(2); // mayReach, then dial's choice of the target
        startPops(
                operator -> {
                    Attachment at = attachment.get(); // read before the test may move it
                    chosen.countDown();
                    return at;
                },
                Duration.ofSeconds(30));
        List<Socket> queued = new ArrayList<>();
        String answer;
        try (ServerSocket deadPop = new ServerSocket(backhaulPort, 1, InetAddress.getByName("127.0.0.3"))) {
            fillAcceptQueue(deadPop, queued);
            try (Socket client = new Socket()) {
                client.setSoTimeout(10_000);
                client.bind(new InetSocketAddress("127.0.0.5", 0));
                sendGet(client);
                assertThat(chosen.await(10, TimeUnit.SECONDS)).isTrue();
                attachment.set(new Attachment.AtPop("pop-a"));
                answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }
        } finally {
            for (Socket s : queued) {
                s.close();
            }
        }
        assertThat(answer)
                .startsWith("HTTP/1.1 200")
                .endsWith("src=127.0.0.5 authority=" + HOST + " alpn= pop=pop-a ingress=null\n");
        assertThat(backhaulA.refusals(BackhaulMetrics.Refusal.ATTACHMENT_MOVED)).isEqualTo(1);
        assertThat(backhaulA.refusals(BackhaulMetrics.Refusal.DIAL_FAILED)).isZero();
    }

    /**
     * pop-b delivers, but its dial to the operator hangs (the operator's tunnel here went quiet: a
     * full accept queue), and meanwhile the operator attaches at pop-a: pop-b abandons the dial and
     * answers 502 through the splice at once, so that neither the client nor a drain of pop-b waits
     * for the connect timeout.
     */
    @Test
    void theDeliveringPopAbandonsADialToAnOperatorThatMovedAway() throws Exception {
        AtomicReference<Attachment> atB = new AtomicReference<>(Attachment.LOCAL);
        deliveryAttachments = operator -> atB.get();
        List<Socket> queued = new ArrayList<>();
        String answer;
        try (ServerSocket quiet = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            fillAcceptQueue(quiet, queued);
            upstreamAt = (InetSocketAddress) quiet.getLocalSocketAddress();
            startPops(operator -> new Attachment.AtPop("pop-b"), Duration.ofSeconds(30));
            try (Socket client = new Socket()) {
                client.setSoTimeout(10_000);
                sendGet(client);
                Await.until(Duration.ofSeconds(10), "pop-b dialing", () -> delivery.activeConnections() == 1);
                atB.set(new Attachment.AtPop("pop-a"));
                answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }
        } finally {
            for (Socket s : queued) {
                s.close();
            }
        }
        assertThat(answer).startsWith("HTTP/1.1 502");
        Await.until(Duration.ofSeconds(5), "pop-b's connection gone", () -> delivery.activeConnections() == 0);
        assertThat(metricsB.registry()
                        .get("relay.backhaul.refusals")
                        .tags("reason", "not_local")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    /** Connects {@code client} to pop-a's HTTP listener and sends it a request for the demo host. */
    private void sendGet(Socket client) throws IOException {
        client.connect(
                new InetSocketAddress(
                        "127.0.0.1", ingress.address(Listener.HTTP).getPort()),
                5000);
        client.getOutputStream()
                .write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Connects to {@code listener} (never accepting) until a connect goes unanswered: its queue is full. */
    private static void fillAcceptQueue(ServerSocket listener, List<Socket> queued) throws Exception {
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            try {
                s.connect(listener.getLocalSocketAddress(), 200);
                queued.add(s);
            } catch (SocketTimeoutException full) {
                s.close();
                return;
            }
        }
        throw new AssertionError("the accept queue of " + listener + " never filled (expected: backlog 1)");
    }

    @Test
    void aConnectionFromANonPeerAddressIsClosedUnread() throws Exception {
        RelayMetrics metrics = new RelayMetrics("pop-b");
        BackhaulMetrics backhaul = new BackhaulMetrics(metrics.registry());
        PopTable pops = new PopTable("pop-b", 8);
        pops.put(announce("pop-a", "127.0.0.3"));
        BackhaulConfig mesh = new BackhaulConfig(
                "mesh0",
                Path.of("mesh.key"),
                List.of(IpPrefix.parse("127.0.0.2/32")),
                51821,
                new InetSocketAddress("203.0.113.2", 51821),
                0,
                1420,
                BackhaulConfig.DEFAULT_TOPIC,
                8,
                Duration.ofSeconds(5),
                BackhaulConfig.DEFAULT_MAX_HEADER);
        delivery = new BackhaulServer(
                "pop-b",
                mesh,
                new Routes(RouteTable.of(List.of(), 1)),
                new DirectDialer(Duration.ofSeconds(2), RelayServer.WATER_MARK),
                AttachmentLookup.LOCAL,
                pops,
                backhaul,
                new DataPathMetrics(metrics.registry()),
                Duration.ofMinutes(1),
                group,
                transport.serverChannel());
        InetSocketAddress at = delivery.start().getFirst();
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress("127.0.0.5", 0));
            s.connect(at, 5000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(backhaul.refusals(BackhaulMetrics.Refusal.NOT_A_PEER)).isEqualTo(1);
    }
}
