package co.airdress.relay.tunnel.device;

import static co.airdress.relay.testing.RelayTopology.OPERATOR_B_UNDERLAY;
import static co.airdress.relay.testing.RelayTopology.RELAY_UNDERLAY_A;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.netns.JavaRelay;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java tunnel in the relay namespace against Debian's wireguard-go as operators, each in its
 * own namespace; curl and openssl in the relay namespace reach the operators' services through our
 * TUN with the kernel's TCP.
 */
class JavaRelayInteropTest {

    static final String A_TUNNEL = "fd00:a1d::a";
    static final String B_TUNNEL = "100.96.0.3";
    static final Duration HANDSHAKE = Duration.ofSeconds(15);
    final long id = ProcessHandle.current().pid() % 100000;

    @BeforeAll
    static void prerequisites() {
        Prerequisites.networkNamespaces();
        for (String tool : new String[] {"wireguard-go", "wg", "curl", "openssl", "python3", "ss", "sha256sum"}) {
            Prerequisites.tool(tool);
        }
    }

    /** An operator as the relay configures it: its key and its tunnel address as the only allowed IP. */
    static PeerConfig operator(WireGuardGoPeer peer, String tunnelAddress) {
        return PeerConfig.of(WireGuardKey.fromBase64(peer.publicKey()), IpPrefix.parse(tunnelAddress));
    }

    static String curl(NetworkNamespace ns, String url, int maxSeconds, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of(extra));
        args.add(url);
        return Curl.in(ns, Duration.ofSeconds(maxSeconds), args.toArray(String[]::new))
                .output();
    }

    @Test
    void operatorInitiatesThenHttpHttpsAndALargeDownloadCrossTheTunnel() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgi");
                WireGuardGoPeer a =
                        WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A_TUNNEL + "/64");
                OperatorServices services = OperatorServices.start(topology.operatorA(), A_TUNNEL, "a", 50);
                JavaRelay relay = JavaRelay.start(
                        topology.relay(), WireGuardDevice.Options.STANDARD, List.of(operator(a, A_TUNNEL)))) {
            a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 25, "fd00:a1d::/64", "100.96.0.0/16");
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            Await.until(
                    HANDSHAKE,
                    "operator-initiated handshake",
                    () -> relay.device().hasLiveSession(aKey));
            assertThat(a.latestHandshake(relay.publicKey())).isPositive();

            assertThat(curl(topology.relay(), "http://[" + A_TUNNEL + "]:8080/index.html", 20))
                    .isEqualTo("hello from operator a\n");

            String https = curl(topology.relay(), "https://[" + A_TUNNEL + "]:8443/", 20, "-k");
            assertThat(https).contains("Ciphers supported in s_server binary").contains("TLSv1.3");

            String sum = topology.relay()
                    .exec("sh", "-c", "curl -sS --max-time 60 http://[" + A_TUNNEL + "]:8080/big.bin | sha256sum");
            assertThat(sum).startsWith(services.bigFileSha256());

            PeerStats stats = relay.device().stats(aKey);
            assertThat(stats).isNotNull();
            assertThat(stats.rxBytes()).isGreaterThan(50L << 20);
            assertThat(stats.endpoint()).isEqualTo(new InetSocketAddress(RelayTopology.OPERATOR_A_UNDERLAY, 51820));
        }
    }

    @Test
    void relayInitiatesToAnOperatorWithAKnownEndpoint() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgr");
                WireGuardGoPeer b =
                        WireGuardGoPeer.start(topology.operatorB(), "wgb" + id, 51820, 1420, B_TUNNEL + "/16");
                OperatorServices services = OperatorServices.start(topology.operatorB(), B_TUNNEL, "b", 1)) {
            PeerConfig peerB = operator(b, B_TUNNEL).withEndpoint(new InetSocketAddress(OPERATOR_B_UNDERLAY, 51820));
            try (JavaRelay relay =
                    JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(peerB))) {
                // No endpoint on the operator's side: it can only answer.
                b.setPeer(relay.publicKey(), null, 0, "100.96.0.0/16", "fd00:a1d::/64");
                WireGuardKey bKey = WireGuardKey.fromBase64(b.publicKey());
                assertThat(relay.device().hasLiveSession(bKey)).isFalse();

                // The first packet of the TCP connection starts the handshake; it waits in the queue.
                assertThat(curl(topology.relay(), "http://" + B_TUNNEL + ":8080/index.html", 20))
                        .isEqualTo("hello from operator b\n");
                assertThat(relay.device().hasLiveSession(bKey)).isTrue();
                assertThat(b.endpoint(relay.publicKey())).isEqualTo(RelayTopology.RELAY_UNDERLAY_B + ":51820");
                assertThat(curl(topology.relay(), "https://" + B_TUNNEL + ":8443/", 20, "-k"))
                        .contains("TLSv1.3");
            }
            assertThat(topology.relay()
                            .execAllowingFailure(Duration.ofSeconds(5), "ip", "link", "show", "jwg" + id)
                            .exitCode())
                    .as("no interface left behind")
                    .isNotZero();
            assertThat(topology.relay().exec("ip", "route", "show")).doesNotContain("100.96.");
        }
    }
}
