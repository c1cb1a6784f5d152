package co.airdress.relay.tunnel.device;

import static co.airdress.relay.testing.RelayTopology.OPERATOR_A_UNDERLAY;
import static co.airdress.relay.testing.RelayTopology.RELAY_UNDERLAY_A;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerEvent;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.netns.JavaRelay;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One network endpoint: the relay host has its own address on the operator's link and an anycast
 * VIP on {@code lo}; a wireguard-go operator dials the VIP. With the UDP port bound to the VIP
 * ({@code listen_addresses}), the relay's replies leave from the VIP and the operator's endpoint,
 * as {@code wg show} sees it, stays the VIP; with the wildcard socket the kernel picks the host's
 * own address for the replies and the operator roams to it (the failure the binding prevents).
 * The operator is not a configured peer: the device creates it when it handshakes, from a lookup.
 */
class AnycastEndpointTest {

    static final String VIP = "192.0.2.1";
    static final String A_TUNNEL = "fd00:a1d::a";
    final long id = ProcessHandle.current().pid() % 100000;

    @BeforeAll
    static void prerequisites() {
        Prerequisites.networkNamespaces();
        for (String tool : new String[] {"wireguard-go", "wg", "curl", "python3", "openssl"}) {
            Prerequisites.tool(tool);
        }
    }

    @Test
    void boundToTheVipRepliesLeaveFromItAndTheOperatorsEndpointStaysTheVip() throws Exception {
        assertThat(endpointSeenByTheOperator(List.of(InetAddress.ofLiteral(VIP)), "jwgv"))
                .isEqualTo(VIP + ":51820");
    }

    @Test
    void onTheWildcardTheOperatorRoamsToTheHostsOwnAddress() throws Exception {
        assertThat(endpointSeenByTheOperator(List.of(), "jwgw")).isEqualTo(RELAY_UNDERLAY_A + ":51820");
    }

    /** Runs the operator against the relay bound to {@code listen}; returns its endpoint for the relay. */
    private String endpointSeenByTheOperator(List<InetAddress> listen, String prefix) throws Exception {
        try (RelayTopology topology = RelayTopology.create(prefix);
                WireGuardGoPeer a =
                        WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A_TUNNEL + "/64");
                OperatorServices services = OperatorServices.start(topology.operatorA(), A_TUNNEL, "a", 1)) {
            topology.relay().exec("ip", "addr", "add", VIP + "/32", "dev", "lo");
            topology.operatorA().exec("ip", "route", "add", VIP + "/32", "via", RELAY_UNDERLAY_A);
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            PeerConfig aConfig = PeerConfig.of(aKey, IpPrefix.parse(A_TUNNEL + "/128"));
            try (JavaRelay relay =
                    JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(), listen)) {
                List<PeerEvent> events = new CopyOnWriteArrayList<>();
                relay.device().addPeerEventListener(events::add);
                relay.device().peerLookup(key -> key.equals(aKey) ? aConfig : null);
                assertThat(relay.device().peers()).isEmpty();

                a.setPeer(relay.publicKey(), VIP + ":51820", 1, "fd00:a1d::/64");
                Await.until(
                        Duration.ofSeconds(15),
                        "handshake with the operator",
                        () -> relay.device().hasLiveSession(aKey));
                // Traffic both ways, then the operator's view of the relay.
                assertThat(Curl.in(
                                        topology.relay(),
                                        Duration.ofSeconds(20),
                                        "http://[" + A_TUNNEL + "]:8080/index.html")
                                .output())
                        .isEqualTo("hello from operator a\n");
                Await.until(Duration.ofSeconds(10), "the handshake event", () -> !events.isEmpty());
                assertThat(events.getFirst()).isInstanceOfSatisfying(PeerEvent.HandshakeCompleted.class, e -> {
                    assertThat(e.peer()).isEqualTo(aKey);
                    assertThat(e.endpoint()).isEqualTo(new InetSocketAddress(OPERATOR_A_UNDERLAY, 51820));
                });
                assertThat(relay.device().deviceStats().activePeers()).isEqualTo(1);
                return a.endpoint(relay.publicKey());
            }
        }
    }
}
