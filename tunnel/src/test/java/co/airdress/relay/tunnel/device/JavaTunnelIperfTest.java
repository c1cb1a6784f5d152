package co.airdress.relay.tunnel.device;

import static co.airdress.relay.testing.RelayTopology.RELAY_UNDERLAY_A;
import static co.airdress.relay.tunnel.device.JavaRelayInteropTest.operator;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.netns.Iperf;
import co.airdress.relay.tunnel.netns.JavaRelay;
import io.netty.util.ResourceLeakDetector;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * iperf3 both ways through the Java tunnel to a wireguard-go operator: bulk TCP with offload and
 * the TUN writer thread under full load. Figures are logged, not asserted (no timing assertions);
 * the comparison with wireguard-go ↔ wireguard-go is a benchmark, {@code bench/e2e/tunnel.sh}.
 */
class JavaTunnelIperfTest {

    private static final Logger logger = LoggerFactory.getLogger(JavaTunnelIperfTest.class);

    @BeforeAll
    static void prerequisites() {
        Prerequisites.networkNamespaces();
        for (String tool : new String[] {"wireguard-go", "wg", "curl", "openssl", "python3", "iperf3", "ss"}) {
            Prerequisites.tool(tool);
        }
    }

    @Test
    void javaTunnelToWireguardGoCarriesIperf() throws Exception {
        // PARANOID leak tracking records a stack trace per buffer: measure the tunnel, not that.
        ResourceLeakDetector.Level testLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            measureJavaTunnel();
        } finally {
            ResourceLeakDetector.setLevel(testLevel);
        }
    }

    private void measureJavaTunnel() throws Exception {
        long id = ProcessHandle.current().pid() % 100000;
        try (RelayTopology topology = RelayTopology.create("wgjava");
                WireGuardGoPeer operator =
                        WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, "fd00:a1d::a/64");
                JavaRelay relay = JavaRelay.start(
                        topology.relay(),
                        WireGuardDevice.Options.STANDARD,
                        List.of(operator(operator, "fd00:a1d::a")))) {
            operator.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 25, "fd00:a1d::/64", "100.96.0.0/16");
            Await.until(
                    Duration.ofSeconds(15),
                    "handshake",
                    () -> relay.device().hasLiveSession(WireGuardKey.fromBase64(operator.publicKey())));

            Iperf.run(topology.relay(), topology.operatorA(), "fd00:a1d::a", 5201, 2, false); // JIT warm-up
            Iperf.Result up = Iperf.run(topology.relay(), topology.operatorA(), "fd00:a1d::a", 5201, 3, false);
            Iperf.Result down = Iperf.run(topology.relay(), topology.operatorA(), "fd00:a1d::a", 5201, 3, true);
            logger.info(
                    "java<->wireguard-go: relay->operator {} Mbit/s ({}), operator->relay {} Mbit/s ({}); {}\n{}",
                    Math.round(up.megabitsPerSecond()),
                    up.command(),
                    Math.round(down.megabitsPerSecond()),
                    down.command(),
                    relay.device().deviceStats(),
                    topology.relay()
                            .exec("ip", "-s", "link", "show", relay.device().interfaceName()));
            assertThat(up.megabitsPerSecond()).isPositive();
            assertThat(down.megabitsPerSecond()).isPositive();
        }
    }
}
