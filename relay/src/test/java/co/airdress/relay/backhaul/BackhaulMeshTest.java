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
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.internal.Libc;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two PoPs in two network namespaces joined by an underlay link, each with a real mesh interface
 * (the tunnel module's WireGuard device, its own key) whose peer is the other PoP: a client of
 * pop-a asks for an operator attached at pop-b; pop-a's dialer crosses the mesh to pop-b's
 * backhaul listener (bound to pop-b's mesh address only), and the operator's upstream in pop-b
 * gets the original client address in its PROXY header. Needs root (CI=true: fails without).
 */
class BackhaulMeshTest {

    private static final String HOST = "demo.example.test";
    private static final int BACKHAUL_PORT = 7443;

    @TempDir
    Path dir;

    /** Runs {@code body} on a new thread that joined {@code ns}; sockets and threads it makes live there. */
    static <T> T in(NetworkNamespace ns, Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            int fd = Libc.open("/var/run/netns/" + ns.name(), Libc.O_RDONLY | Libc.O_CLOEXEC);
            assertThat(fd).as("open netns").isGreaterThanOrEqualTo(0);
            try {
                assertThat(Libc.setns(fd, Libc.CLONE_NEWNET)).as("setns").isZero();
            } finally {
                Libc.close(fd);
            }
            return body.call();
        });
        Thread t = Thread.ofPlatform().name("in-" + ns.name()).start(task);
        try {
            return task.get(60, TimeUnit.SECONDS);
        } finally {
            t.join();
        }
    }

    /** An event loop group whose threads are born (so live) in {@code ns}. */
    static EventLoopGroup group(NetworkNamespace ns, Transport transport) throws Exception {
        return in(ns, () -> {
            EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
            for (var e : g) {
                ((EventLoop) e).submit(() -> {}).sync();
            }
            return g;
        });
    }

    private Path key(String name, WireGuardKey k) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, k.toBase64() + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private static BackhaulConfig mesh(Path key, String mesh, String endpoint) {
        return new BackhaulConfig(
                "mesh" + ProcessHandle.current().pid() % 10000,
                key,
                List.of(IpPrefix.parse(mesh + "/24")),
                51821,
                new InetSocketAddress(endpoint, 51821),
                BACKHAUL_PORT,
                1420,
                BackhaulConfig.DEFAULT_TOPIC,
                8,
                Duration.ofSeconds(5),
                BackhaulConfig.DEFAULT_MAX_HEADER);
    }

    @Test
    void aConnectionCrossesARealMeshToTheAttachedPop() throws Exception {
        Prerequisites.networkNamespaces();
        List<AutoCloseable> open = new ArrayList<>();
        try (NetworkNamespace a = NetworkNamespace.create("bh-a");
                NetworkNamespace b = NetworkNamespace.create("bh-b")) {
            a.link("ul0", "10.77.0.1/24", b, "ul0", "10.77.0.2/24");
            Transport transport = Transport.select();
            WireGuardKey keyA = WireGuardKeys.generatePrivateKey(new SecureRandom());
            WireGuardKey keyB = WireGuardKeys.generatePrivateKey(new SecureRandom());
            BackhaulConfig meshA = mesh(key("a.key", keyA), "100.127.0.1", "10.77.0.1");
            BackhaulConfig meshB = mesh(key("b.key", keyB), "100.127.0.2", "10.77.0.2");
            PopAnnouncement popA = new PopAnnouncement(
                    "pop-a",
                    WireGuardKeys.publicKey(keyA),
                    List.of(InetAddress.getByName("100.127.0.1")),
                    meshA.endpoint());
            PopAnnouncement popB = new PopAnnouncement(
                    "pop-b",
                    WireGuardKeys.publicKey(keyB),
                    List.of(InetAddress.getByName("100.127.0.2")),
                    meshB.endpoint());

            // pop-b: the mesh, the operator's upstream on its loopback, the backhaul listener
            MeshTunnel tunnelB = in(b, () -> MeshTunnel.start(meshB));
            open.add(tunnelB);
            PopTable popsB = new PopTable("pop-b", 8);
            popsB.put(popA);
            tunnelB.apply(popsB.peers());
            ServerSocket upstream = in(b, () -> new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
            open.add(upstream);
            Thread.ofVirtual().start(() -> serve(upstream));
            Operator demo = new Operator(
                    "demo",
                    List.of(HOST),
                    new Upstream((InetSocketAddress) upstream.getLocalSocketAddress(), null),
                    ProxyProtocol.V2);
            Routes routes = new Routes(RouteTable.of(List.of(demo), 1));
            EventLoopGroup groupB = group(b, transport);
            open.add(() -> groupB.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
            RelayMetrics metricsB = new RelayMetrics("pop-b");
            BackhaulMetrics backhaulB = new BackhaulMetrics(metricsB.registry());
            BackhaulServer server = new BackhaulServer(
                    "pop-b",
                    meshB,
                    routes,
                    new DirectDialer(Duration.ofSeconds(5), RelayServer.WATER_MARK),
                    AttachmentLookup.LOCAL,
                    popsB,
                    backhaulB,
                    new DataPathMetrics(metricsB.registry()),
                    Duration.ofMinutes(1),
                    groupB,
                    transport.serverChannel());
            open.add(server);
            assertThat(in(b, server::start)).containsExactly(new InetSocketAddress("100.127.0.2", BACKHAUL_PORT));

            // pop-a: the mesh and the client listener; demo is attached at pop-b
            MeshTunnel tunnelA = in(a, () -> MeshTunnel.start(meshA));
            open.add(tunnelA);
            PopTable popsA = new PopTable("pop-a", 8);
            popsA.put(popB);
            tunnelA.apply(popsA.peers());
            EventLoopGroup groupA = group(a, transport);
            open.add(() -> groupA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
            RelayMetrics metricsA = new RelayMetrics("pop-a");
            DirectDialer direct = new DirectDialer(Duration.ofSeconds(10), RelayServer.WATER_MARK);
            BackhaulDialer dialer = new BackhaulDialer(
                    direct,
                    direct,
                    operator -> new Attachment.AtPop("pop-b"),
                    popsA,
                    List.of(InetAddress.getByName("100.127.0.1")),
                    BACKHAUL_PORT,
                    "pop-a",
                    new BackhaulMetrics(metricsA.registry()));
            InetSocketAddress any = new InetSocketAddress("10.77.0.1", 0);
            RelayConfig configA = new RelayConfig(
                    "pop-a",
                    new RelayConfig.Listen(any, null),
                    new RelayConfig.Management(any, null),
                    Path.of("operators.yaml"),
                    RelayConfigFile.DEFAULT_LIMITS,
                    new RelayConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(1)),
                    RelayConfigFile.DEFAULT_DRAIN);
            RelayServer ingress = new RelayServer(
                    configA,
                    routes,
                    dialer,
                    new DataPathMetrics(metricsA.registry()),
                    new HealthState("pop-a"),
                    groupA,
                    transport);
            open.add(ingress);
            in(a, ingress::start);
            int port = ingress.address(Listener.HTTP).getPort();

            // the client, in pop-a's namespace on the underlay address 10.77.0.1
            String answer = in(a, () -> {
                try (Socket client = new Socket()) {
                    client.connect(new InetSocketAddress("10.77.0.1", port), 5000);
                    client.setSoTimeout(20_000);
                    client.getOutputStream()
                            .write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                    return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                }
            });
            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("src=10.77.0.1 pop=pop-b ingress=pop-a\n");
            assertThat(backhaulB.refusals(BackhaulMetrics.Refusal.NOT_A_PEER)).isZero();
            assertThat(metricsB.registry()
                            .get("relay.backhaul.connections")
                            .tags("direction", "in", "pop", "pop-a")
                            .counter()
                            .count())
                    .isEqualTo(1);

            // pop-b's backhaul listener is not on its underlay address
            boolean refused = in(a, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("10.77.0.2", BACKHAUL_PORT), 3000);
                    return false;
                } catch (java.io.IOException e) {
                    return true;
                }
            });
            assertThat(refused).isTrue();
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }

    private static void serve(ServerSocket upstream) {
        while (!upstream.isClosed()) {
            try (Socket s = upstream.accept()) {
                InputStream in = s.getInputStream();
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                ProxyV2Decoder d = new ProxyV2Decoder(ProxyV2Decoder.MAX_POSSIBLE);
                byte[] buf = new byte[4096];
                String body = null;
                while (body == null) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    seen.write(buf, 0, n);
                    if (d.status() == ProxyV2Decoder.Status.NEED_MORE) {
                        d.feed(Unpooled.wrappedBuffer(buf, 0, n));
                    }
                    if (d.status() == ProxyV2Decoder.Status.DONE
                            && seen.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        ProxyV2Decoder.Header h = d.header();
                        body = "src=" + h.source().getAddress().getHostAddress() + " pop=" + h.pop() + " ingress="
                                + h.ingressPop() + "\n";
                    } else if (d.status() == ProxyV2Decoder.Status.MALFORMED) {
                        body = "bad header\n";
                    }
                }
                if (body != null) {
                    s.getOutputStream()
                            .write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
                                            + "\r\nConnection: close\r\n\r\n" + body)
                                    .getBytes(StandardCharsets.US_ASCII));
                }
            } catch (Exception e) {
                // closed at the end of the test
            }
        }
    }
}
