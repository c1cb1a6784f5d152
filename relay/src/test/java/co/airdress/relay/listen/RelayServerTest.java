package co.airdress.relay.listen;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.dial.DirectDialer;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RelayServerTest {

    @Test
    void eachLoopHasItsOwnListeningSocketAndKeepsTheConnectionsItAccepts() throws Exception {
        Transport transport = Transport.select();
        assertThat(transport.reusePort())
                .as("a native transport (%s)", transport)
                .isTrue();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        RelayConfig config = new RelayConfig(
                "test-pop",
                new RelayConfig.Listen(null, any),
                new RelayConfig.Management(any, null),
                Path.of("operators.yaml"),
                new RelayConfig.Limits(1000, 1000, 1000, 16 * 1024, 16 * 1024),
                new RelayConfig.Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMinutes(1)),
                RelayConfigFile.DEFAULT_DRAIN);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, transport.ioHandlerFactory());
        RelayServer server = new RelayServer(
                config,
                new Routes(RouteTable.of(List.of(), 1)),
                new DirectDialer(Duration.ofSeconds(2), RelayServer.WATER_MARK),
                new DataPathMetrics(new RelayMetrics("test-pop").registry()),
                new HealthState("test-pop"),
                group,
                transport);
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
}
