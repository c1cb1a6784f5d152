package co.airdress.relay.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.dial.DirectDialer;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class RelayServerTest {

    @Test
    void eachLoopHasItsOwnListeningSocketAndKeepsTheConnectionsItAccepts() throws Exception {
        Transport transport = Transport.select();
        assertThat(transport.reusePort())
                .as("a native transport (%s)", transport)
                .isTrue();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, transport.ioHandlerFactory());
        RelayServer server = server(new RelayConfig.Listen(null, any), group, transport);
        List<Socket> clients = new ArrayList<>();
        try {
            int port = server.start().get(Listener.TLS).getPort();
            // Enough connections that the kernel's SO_REUSEPORT hash lands some on each socket.
            for (int i = 0; i < 64; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                clients.add(s);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.activeConnections() < clients.size()) {
                assertThat(System.nanoTime())
                        .as("all %d connections accepted", clients.size())
                        .isLessThan(deadline);
                Thread.onSpinWait();
            }
            Set<Object> acceptingLoops = new HashSet<>();
            for (Channel ch : server.connections()) {
                assertThat(ch.eventLoop())
                        .as("the loop of %s", ch)
                        .isSameAs(ch.parent().eventLoop());
                acceptingLoops.add(ch.eventLoop());
            }
            assertThat(acceptingLoops).as("loops that accepted").hasSize(2);
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            server.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static RelayServer server(RelayConfig.Listen listen, EventLoopGroup group, Transport transport) {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        RelayConfig config = new RelayConfig(
                "test-pop",
                listen,
                new RelayConfig.Management(any, null),
                Path.of("operators.yaml"),
                new RelayConfig.Limits(1000, 1000, 1000, 16 * 1024, 16 * 1024),
                new RelayConfig.Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMinutes(1)),
                RelayConfigFile.DEFAULT_DRAIN);
        return new RelayServer(
                config,
                new Routes(RouteTable.of(List.of(), 1)),
                new DirectDialer(Duration.ofSeconds(2), RelayServer.WATER_MARK),
                new DataPathMetrics(new RelayMetrics("test-pop").registry()),
                new HealthState("test-pop"),
                group,
                transport);
    }

    @FunctionalInterface
    private interface ServerCheck {
        void check(RelayServer server) throws Exception;
    }

    /** A server for {@code listen} on {@code transport} (two loops), checked, then closed with its loops. */
    private static void withServer(RelayConfig.Listen listen, Transport transport, ServerCheck check) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, transport.ioHandlerFactory());
        RelayServer server = server(listen, group, transport);
        try {
            check.check(server);
        } finally {
            server.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** A port free for both families now (a dual-stack socket held it). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("::", 0));
            return s.getLocalPort();
        }
    }

    /** Connects one client per address and returns, per client address family, the accepted channels. */
    private static Map<Boolean, List<Channel>> acceptedByFamily(RelayServer server, List<InetSocketAddress> targets)
            throws IOException {
        List<Socket> clients = new ArrayList<>();
        try {
            for (InetSocketAddress target : targets) {
                Socket s = new Socket();
                s.connect(target, 5000);
                clients.add(s);
            }
            Await.until(
                    Duration.ofSeconds(10),
                    "all connections accepted",
                    () -> server.activeConnections() == clients.size());
            Map<Boolean, List<Channel>> byFamily = new HashMap<>();
            for (Channel ch : server.connections()) {
                boolean ipv4 = ((InetSocketAddress) ch.remoteAddress()).getAddress() instanceof Inet4Address;
                byFamily.computeIfAbsent(ipv4, k -> new ArrayList<>()).add(ch);
            }
            return byFamily;
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    /**
     * {@code tls: ["0.0.0.0:P", "[::]:P"]}: an IPv4 socket and an IPv6-only socket on one port;
     * each family's connections are accepted by the socket of that family.
     */
    /**
     * The daemon starts its management server before its listeners (the directory may take a while
     * to load); a drain begun meanwhile (POST /v1/drain) stops accepting first, and the listeners
     * must then never bind.
     */
    @Test
    void aServerThatStoppedAcceptingBeforeItStartedBindsNothing() throws Exception {
        int port = freePort();
        RelayConfig.Listen listen = new RelayConfig.Listen(
                List.of(), List.of(new RelayConfig.ListenSocket(new InetSocketAddress("127.0.0.1", port), false)));
        withServer(listen, Transport.select(), server -> {
            server.stopAccepting();
            assertThat(server.start()).isEmpty();
            assertThat(server.addresses(Listener.TLS)).isEmpty();
            try (ServerSocket free = new ServerSocket()) {
                free.bind(new InetSocketAddress("127.0.0.1", port)); // nobody holds the port
            }
        });
    }

    @Test
    void separateIpv4AndIpv6SocketsOnOnePortEachTakeTheirOwnFamily() throws Exception {
        int port = freePort();
        RelayConfig.Listen listen = new RelayConfig.Listen(
                List.of(),
                List.of(
                        new RelayConfig.ListenSocket(new InetSocketAddress("0.0.0.0", port), false),
                        new RelayConfig.ListenSocket(new InetSocketAddress("::", port), true)));
        // io_uring cannot bind an IPv4-only wildcard socket: the relay runs such a config on epoll.
        Transport transport = Transport.forListen(Transport.IO_URING, listen);
        assertThat(transport).isEqualTo(Transport.EPOLL);
        withServer(listen, transport, server -> {
            server.start();
            assertThat(server.addresses(Listener.TLS))
                    .containsExactly(new InetSocketAddress("0.0.0.0", port), new InetSocketAddress("::", port));
            Map<Boolean, List<Channel>> accepted = acceptedByFamily(
                    server,
                    List.of(
                            new InetSocketAddress("127.0.0.1", port),
                            new InetSocketAddress("::1", port),
                            new InetSocketAddress("127.0.0.1", port),
                            new InetSocketAddress("::1", port)));
            assertThat(accepted.get(true))
                    .hasSize(2)
                    .allSatisfy(
                            ch -> assertThat(((InetSocketAddress) ch.parent().localAddress()).getAddress())
                                    .as("the socket that accepted an IPv4 client")
                                    .isEqualTo(InetAddress.ofLiteral("0.0.0.0")));
            assertThat(accepted.get(false)).hasSize(2).allSatisfy(ch -> {
                assertThat(((InetSocketAddress) ch.parent().localAddress()).getAddress())
                        .as("the socket that accepted an IPv6 client")
                        .isEqualTo(InetAddress.ofLiteral("::"));
                assertThat(ch.parent().config().getOption(SocketFamily.IPV6_V6ONLY))
                        .as("IPV6_V6ONLY of the [::] socket")
                        .isEqualTo(1);
            });
            assertThat(ss(port)).as("ss -ltn").contains("0.0.0.0:" + port).contains("[::]:" + port);
        });
    }

    /**
     * {@code tls: "[::]:P"}: one dual-stack socket per loop; an IPv4 client is accepted there too,
     * and its address reads as IPv4 (not ::ffff:a.b.c.d), so logs and PROXY headers say IPv4.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void aLoneIpv6WildcardIsDualStackAndIpv4ClientsReadAsIpv4(Transport transport) throws Exception {
        int port = freePort();
        RelayConfig.Listen listen = new RelayConfig.Listen(null, new InetSocketAddress("::", port));
        withServer(listen, transport, server -> {
            server.start();
            Map<Boolean, List<Channel>> accepted = acceptedByFamily(
                    server, List.of(new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("::1", port)));
            assertThat(accepted.get(true)).singleElement().satisfies(ch -> {
                assertThat(((InetSocketAddress) ch.remoteAddress()).getAddress())
                        .isEqualTo(InetAddress.ofLiteral("127.0.0.1"));
                assertThat(((InetSocketAddress) ch.localAddress()).getAddress())
                        .isEqualTo(InetAddress.ofLiteral("127.0.0.1"));
            });
            assertThat(accepted.get(false))
                    .singleElement()
                    .satisfies(ch -> assertThat(((InetSocketAddress) ch.localAddress()).getAddress())
                            .isEqualTo(InetAddress.ofLiteral("::1")));
            if (transport != Transport.NIO) {
                assertThat(ss(port))
                        .as("ss -ltn: a dual-stack socket shows as *")
                        .contains("*:" + port);
            }
        });
    }

    /** Specific addresses of both families on one port: IPv4 ones stay IPv4-only on io_uring too. */
    @ParameterizedTest
    @EnumSource(
            value = Transport.class,
            names = {"IO_URING", "EPOLL"})
    void specificIpv4AndIpv6AddressesOnOnePort(Transport transport) throws Exception {
        int port = freePort();
        RelayConfig.Listen listen = new RelayConfig.Listen(
                List.of(
                        new RelayConfig.ListenSocket(new InetSocketAddress("127.0.0.1", port), false),
                        new RelayConfig.ListenSocket(new InetSocketAddress("::1", port), true)),
                List.of());
        assertThat(Transport.forListen(transport, listen)).isEqualTo(transport);
        withServer(listen, transport, server -> {
            server.start();
            Map<Boolean, List<Channel>> accepted = acceptedByFamily(
                    server, List.of(new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("::1", port)));
            assertThat(accepted.get(true))
                    .singleElement()
                    .satisfies(ch -> assertThat(((InetSocketAddress) ch.parent().localAddress()).getAddress())
                            .isEqualTo(InetAddress.ofLiteral("127.0.0.1")));
            assertThat(accepted.get(false))
                    .singleElement()
                    .satisfies(ch -> assertThat(((InetSocketAddress) ch.parent().localAddress()).getAddress())
                            .isEqualTo(InetAddress.ofLiteral("::1")));
        });
    }

    /**
     * {@code tls: ["0.0.0.0:P", "[::]:P"]} on a transport that cannot bind it: io_uring (no
     * IPv4-only wildcard socket) and NIO (no IPV6_V6ONLY) refuse it at start, naming the way out.
     */
    @ParameterizedTest
    @CsvSource({
        "IO_URING, 'listen.tls: 0.0.0.0 beside IPv6 addresses', 'expected: the epoll transport'",
        "NIO, 'is IPv6-only', 'expected: the io_uring or epoll transport'"
    })
    void aTransportThatCannotBindSeparateSocketsRefusesThemAndSaysWhy(Transport transport, String what, String way)
            throws Exception {
        RelayConfig.Listen listen = new RelayConfig.Listen(
                List.of(),
                List.of(
                        new RelayConfig.ListenSocket(new InetSocketAddress("0.0.0.0", 0), false),
                        new RelayConfig.ListenSocket(new InetSocketAddress("::", 0), true)));
        withServer(listen, transport, server -> {
            assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(what)
                    .hasMessageContaining(way);
        });
    }

    /**
     * {@code listen.defer_accept} is set on every listening socket of both listeners (the kernel
     * reports it back rounded up to its retransmission steps), and off when zero; a client that
     * sends its first bytes and one that sends nothing are both accepted.
     */
    @ParameterizedTest
    @EnumSource(
            value = Transport.class,
            names = {"IO_URING", "EPOLL"})
    void deferAcceptIsSetOnEveryListeningSocket(Transport transport) throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        RelayConfig.Listen listen = new RelayConfig.Listen(any, any).withDeferAccept(Duration.ofSeconds(1));
        ChannelOption<Integer> option = transport == Transport.EPOLL
                ? EpollChannelOption.TCP_DEFER_ACCEPT
                : IoUringChannelOption.TCP_DEFER_ACCEPT;
        withServer(listen, transport, server -> {
            server.start();
            assertThat(server.listeningChannels())
                    .hasSize(4)
                    .allSatisfy(ch -> assertThat(ch.config().getOption(option))
                            .as("TCP_DEFER_ACCEPT of %s", ch)
                            .isPositive());
            List<Socket> clients = new ArrayList<>();
            try {
                for (Listener l : Listener.values()) {
                    Socket silent = new Socket();
                    silent.connect(server.address(l), 5000);
                    clients.add(silent);
                    Socket speaking = new Socket();
                    speaking.connect(server.address(l), 5000);
                    // The start of a TLS record or of a request line: the peek waits for more.
                    speaking.getOutputStream().write(l == Listener.TLS ? 0x16 : 'G');
                    clients.add(speaking);
                }
                Await.until(
                        Duration.ofSeconds(20),
                        "every connection accepted, silent ones included",
                        () -> server.activeConnections() == clients.size());
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
        });
        withServer(listen.withDeferAccept(Duration.ZERO), transport, server -> {
            server.start();
            assertThat(server.listeningChannels())
                    .hasSize(4)
                    .allSatisfy(ch -> assertThat(ch.config().getOption(option))
                            .as("TCP_DEFER_ACCEPT of %s", ch)
                            .isZero());
        });
    }

    private static String ss(int port) {
        return ExternalProcess.run(Duration.ofSeconds(10), "ss", "-Hltn", "sport = :" + port);
    }
}
