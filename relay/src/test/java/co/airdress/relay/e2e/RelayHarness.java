package co.airdress.relay.e2e;

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
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** A relay's data plane started in-process on ephemeral loopback ports. */
final class RelayHarness implements AutoCloseable {

    final EventLoopGroup group;
    final Routes routes;
    final RelayMetrics metrics;
    final DataPathMetrics dataPath;
    final RelayServer server;
    final RelayConfig config;

    private RelayHarness(RelayConfig config, List<Operator> operators) throws InterruptedException {
        this.config = config;
        Transport transport = Transport.select();
        this.group = new MultiThreadIoEventLoopGroup(2, transport.ioHandlerFactory());
        this.routes = new Routes(RouteTable.of(operators, 1));
        this.metrics = new RelayMetrics(config.pop());
        this.dataPath = new DataPathMetrics(metrics.registry());
        this.server = new RelayServer(
                config,
                routes,
                new DirectDialer(config.timeouts().connect(), RelayServer.WATER_MARK),
                dataPath,
                new HealthState(config.pop()),
                group,
                transport);
        try {
            server.start();
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    static RelayConfig config(RelayConfig.Limits limits, Duration peekTimeout, Duration idle) {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return new RelayConfig(
                "test-pop",
                new RelayConfig.Listen(any, any),
                new RelayConfig.Management(any, null),
                Path.of("operators.yaml"),
                limits,
                new RelayConfig.Timeouts(peekTimeout, Duration.ofSeconds(2), idle),
                RelayConfigFile.DEFAULT_DRAIN);
    }

    /** The default config with both listeners on one dual-stack {@code [::]} socket each (free ports). */
    static RelayConfig dualStackConfig() {
        RelayConfig c = defaultConfig();
        InetSocketAddress any = new InetSocketAddress("::", 0);
        return new RelayConfig(
                c.pop(),
                new RelayConfig.Listen(any, any),
                c.management(),
                c.operatorsFile(),
                c.limits(),
                c.timeouts(),
                c.drain());
    }

    static RelayConfig defaultConfig() {
        return config(RelayConfigFile.DEFAULT_LIMITS, Duration.ofSeconds(2), Duration.ofMinutes(1));
    }

    static RelayHarness start(RelayConfig config, List<Operator> operators) throws InterruptedException {
        return new RelayHarness(config, operators);
    }

    static Operator operator(
            String name,
            List<String> hosts,
            @Nullable InetSocketAddress http,
            @Nullable InetSocketAddress tls,
            ProxyProtocol proxy) {
        return new Operator(name, hosts, new Upstream(http, tls), proxy);
    }

    int httpPort() {
        return server.address(Listener.HTTP).getPort();
    }

    int tlsPort() {
        return server.address(Listener.TLS).getPort();
    }

    double counter(String name, String... tags) {
        var search = metrics.registry().find(name).tags(tags);
        var c = search.counter();
        return c == null ? -1 : c.count();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
