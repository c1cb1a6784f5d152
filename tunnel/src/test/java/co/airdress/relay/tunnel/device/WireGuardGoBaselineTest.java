package co.airdress.relay.tunnel.device;

import static co.airdress.relay.tunnel.netns.RelayTopology.RELAY_UNDERLAY_A;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.tunnel.netns.Iperf;
import co.airdress.relay.tunnel.netns.OperatorServices;
import co.airdress.relay.tunnel.netns.RelayTopology;
import co.airdress.relay.tunnel.netns.WireGuardGoPeer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The comparison point: wireguard-go in the relay's namespace instead of the Java tunnel, same
 * topology and services. It also proves the fixtures (namespaces, wg, servers) work on this host.
 */
class WireGuardGoBaselineTest {

    private static final Logger logger = LoggerFactory.getLogger(WireGuardGoBaselineTest.class);

    @BeforeAll
    static void prerequisites() {
        Prerequisites.networkNamespaces();
        for (String tool : new String[] {"wireguard-go", "wg", "curl", "openssl", "python3", "iperf3", "ss"}) {
            Prerequisites.tool(tool);
        }
    }

    @Test
    void wireguardGoToWireguardGoCarriesHttpAndIperf() throws Exception {
        long id = ProcessHandle.current().pid() % 100000;
        try (RelayTopology topology = RelayTopology.create("wgbase");
             WireGuardGoPeer relay = WireGuardGoPeer.start(topology.relay(), "wgr" + id, 51820, 1420,
                     "fd00:a1d::1/64", "100.96.0.1/16");
             WireGuardGoPeer operator = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420,
                     "fd00:a1d::a/64");
             OperatorServices services = OperatorServices.start(topology.operatorA(), "fd00:a1d::a", "a", 4)) {
            relay.setPeer(operator.publicKey(), null, 0, "fd00:a1d::a/128");
            operator.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 1, "fd00:a1d::/64", "100.96.0.0/16");
            Await.until(Duration.ofSeconds(15), "handshake", () -> relay.latestHandshake(operator.publicKey()) > 0);

            String body = topology.relay().exec("curl", "-sS", "--max-time", "20", "http://[fd00:a1d::a]:8080/index.html");
            assertThat(body).isEqualTo("hello from operator a\n");

            Iperf.Result up = Iperf.run(topology.relay(), topology.operatorA(), "fd00:a1d::a", 5201, 3, false);
            Iperf.Result down = Iperf.run(topology.relay(), topology.operatorA(), "fd00:a1d::a", 5201, 3, true);
            logger.info("wireguard-go<->wireguard-go: relay->operator {} Mbit/s ({}), operator->relay {} Mbit/s ({})",
                    Math.round(up.megabitsPerSecond()), up.command(), Math.round(down.megabitsPerSecond()), down.command());
            assertThat(up.megabitsPerSecond()).isPositive();
            assertThat(down.megabitsPerSecond()).isPositive();
        }
    }
}
