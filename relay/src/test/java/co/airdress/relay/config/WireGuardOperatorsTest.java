package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerPolicy;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.wireguard.WireGuardRelayFixture;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code wireguard:} section of the config and the operator kind {@code wireguard}. */
class WireGuardOperatorsTest {

    private static final String KEY_A = WireGuardRelayFixture.newPublicKey();
    private static final String KEY_B = WireGuardRelayFixture.newPublicKey();

    private static final String CONFIG = "pop: ams1\nlisten: { tls: \"[::]:443\" }\n"
            + WireGuardRelayFixture.wireguardSection("relay0", "keys/wg.key", WireGuardRelayFixture.RELAY_ADDRESSES);

    private static WireGuardConfig tunnel() {
        return tunnel(CONFIG);
    }

    private static WireGuardConfig tunnel(String yaml) {
        Parsed<RelayConfig> p = RelayConfigFile.parse(yaml, "relay.yaml", Path.of("/etc/relay"));
        assertThat(p).as("%s", p).isInstanceOf(Parsed.Ok.class);
        WireGuardConfig wg = ((Parsed.Ok<RelayConfig>) p).value().wireguard();
        assertThat(wg).isNotNull();
        return wg;
    }

    private static final String ADDRESS_EXPECTATION =
            "an IPv4 or IPv6 literal with a prefix length (up to /32 and /128), "
                    + "like \"fd00:a1d::1/64\" or \"100.96.0.1/16\"";

    private static List<String> configProblems(String yaml) {
        Parsed<RelayConfig> p = RelayConfigFile.parse(yaml, "relay.yaml");
        assertThat(p).isInstanceOf(Parsed.Invalid.class);
        return ((Parsed.Invalid<RelayConfig>) p)
                .problems().stream().map(ConfigProblem::toString).toList();
    }

    private static Parsed<List<Operator>> operators(String entries) {
        return OperatorsFile.parse("operators:\n" + entries, "ops.yaml");
    }

    private static List<String> problems(Parsed<List<Operator>> p) {
        assertThat(p).as("%s", p).isInstanceOf(Parsed.Invalid.class);
        return ((Parsed.Invalid<List<Operator>>) p)
                .problems().stream().map(ConfigProblem::toString).toList();
    }

    private static List<Operator> ok(Parsed<List<Operator>> p) {
        assertThat(p).as("%s", p).isInstanceOf(Parsed.Ok.class);
        return ((Parsed.Ok<List<Operator>>) p).value();
    }

    @Test
    void readsTheWireguardSectionWithTheKeyFileBesideTheConfig() {
        WireGuardConfig wg = tunnel();
        assertThat(wg.interfaceName()).isEqualTo("relay0");
        assertThat(wg.privateKeyFile()).isEqualTo(Path.of("/etc/relay/keys/wg.key"));
        assertThat(wg.listenPort()).isEqualTo(51820);
        assertThat(wg.mtu()).isEqualTo(1420);
        assertThat(wg.addresses()).hasToString("[fd00:a1d:0:0:0:0:0:1/64, 100.96.0.1/16]");
        assertThat(((Parsed.Ok<RelayConfig>) RelayConfigFile.parse("pop: a\nlisten: { tls: \"[::]:443\" }\n", "x"))
                        .value()
                        .wireguard())
                .isNull();
    }

    @Test
    void stateFileDefaultsToNoneAndIsResolvedBesideTheConfig() {
        assertThat(tunnel().stateFile()).isNull();
        Parsed<RelayConfig> p = RelayConfigFile.parse(
                CONFIG + "  state_file: state/relay0.endpoints\n", "relay.yaml", Path.of("/etc/relay"));
        assertThat(p).as("%s", p).isInstanceOf(Parsed.Ok.class);
        assertThat(((Parsed.Ok<RelayConfig>) p).value().wireguard().stateFile())
                .isEqualTo(Path.of("/etc/relay/state/relay0.endpoints"));
        assertThat(configProblems(CONFIG + "  state_file: \"\"\n"))
                .singleElement()
                .asString()
                .startsWith("wireguard.state_file: ");
    }

    @Test
    void peerPolicyAndListenAddressesDefaultAndAreRead() {
        WireGuardConfig defaults = tunnel();
        assertThat(defaults.listenAddresses()).isEmpty();
        assertThat(defaults.peers()).isEqualTo(PeerPolicy.DEFAULT);
        WireGuardConfig set = tunnel(CONFIG
                + "  listen_addresses: [\"192.0.2.1\", \"2001:db8::1\"]\n"
                + "  max_active_peers: 500\n"
                + "  idle_peer_timeout: 10m\n"
                + "  reattach: false\n");
        assertThat(set.listenAddresses())
                .containsExactly(InetAddress.ofLiteral("192.0.2.1"), InetAddress.ofLiteral("2001:db8::1"));
        assertThat(set.peers()).isEqualTo(new PeerPolicy(500, Duration.ofMinutes(10), false));
    }

    @Test
    void reportsBadPeerPolicyAndListenAddressesWithPaths() {
        assertThat(configProblems(CONFIG
                        + "  listen_addresses: [\"192.0.2.1/32\", \"192.0.2.1\", \"192.0.2.1\"]\n"
                        + "  max_active_peers: 0\n"
                        + "  idle_peer_timeout: forever\n"
                        + "  reattach: sometimes\n"))
                .containsExactlyInAnyOrder(
                        "wireguard.listen_addresses[0]: \"192.0.2.1/32\" (expected: an IPv4 or IPv6 literal without a "
                                + "prefix length, like \"192.0.2.1\" or \"2001:db8::1\")",
                        "wireguard.listen_addresses[2]: \"192.0.2.1\" listed twice (expected: each address once)",
                        "wireguard.max_active_peers: 0 (expected: an integer from 1 to 1000000)",
                        "wireguard.idle_peer_timeout: \"forever\" (expected: a duration like 500ms, 10s, 5m or 1h, "
                                + "above zero and at most 24h)",
                        "wireguard.reattach: \"sometimes\" (expected: true or false)");
        assertThat(configProblems(CONFIG + "  listen_addresses: \"192.0.2.1\"\n"))
                .singleElement()
                .asString()
                .startsWith("wireguard.listen_addresses: ");
    }

    @Test
    void reportsTheTunnelsOwnValidationWithPaths() {
        assertThat(configProblems(CONFIG.replace("mtu: 1420", "mtu: 70000")))
                .containsExactly("wireguard.mtu: 70000 (expected: an integer from 1280 to 9000)");
        assertThat(configProblems(CONFIG.replace("listen_port: 51820", "listen_port: 51820\n  peers: []")))
                .singleElement()
                .asString()
                .startsWith("wireguard.peers: unknown key");
        assertThat(configProblems(CONFIG.replace("\"100.96.0.1/16\"", "\"100.96.0.1/40\"")))
                .singleElement()
                .asString()
                .startsWith("wireguard.addresses[1]:");
        assertThat(configProblems("pop: a\nlisten: { tls: \"[::]:443\" }\nwireguard: yes\n"))
                .singleElement()
                .asString()
                .startsWith("wireguard: ");
    }

    @Test
    void parsesTheDocumentedExample() {
        WireGuardConfig config = tunnel("""
                pop: ams1
                listen: { tls: "[::]:443" }
                wireguard:
                  interface: relay0
                  private_key_file: /etc/relay/wg.key
                  listen_port: 51820
                  addresses: ["fd00:a1d::1/64", "100.96.0.1/16"]
                  mtu: 1420
                """);
        assertThat(config.interfaceName()).isEqualTo("relay0");
        assertThat(config.privateKeyFile()).isEqualTo(Path.of("/etc/relay/wg.key"));
        assertThat(config.listenPort()).isEqualTo(51820);
        assertThat(config.addresses())
                .extracting(IpPrefix::toString)
                .containsExactly("fd00:a1d:0:0:0:0:0:1/64", "100.96.0.1/16");
        assertThat(config.addresses().get(0).isIpv6()).isTrue();
        assertThat(config.mtu()).isEqualTo(1420);
    }

    @Test
    void defaultsPortAndMtu() {
        WireGuardConfig config =
                tunnel(CONFIG.replace("  listen_port: 51820\n", "").replace("  mtu: 1420\n", ""));
        assertThat(config.listenPort()).isEqualTo(51820);
        assertThat(config.mtu()).isEqualTo(1420);
        // A quoted number is read as the number.
        assertThat(tunnel(CONFIG.replace("mtu: 1420", "mtu: \"1400\"")).mtu()).isEqualTo(1400);
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheSetting() {
        assertThat(configProblems(CONFIG.replace("mtu: 1420", "mtu: 70000")))
                .containsExactly("wireguard.mtu: 70000 (expected: an integer from 1280 to 9000)");
        assertThat(configProblems(CONFIG.replace("listen_port: 51820", "listen_port: 70000")))
                .containsExactly("wireguard.listen_port: 70000 (expected: an integer from 0 to 65535)");
        assertThat(configProblems(CONFIG.replace("interface: relay0", "interface: a-name-longer-than-15")))
                .containsExactly("wireguard.interface: \"a-name-longer-than-15\" (expected: "
                        + "1..15 printable ASCII characters without '/', ':' or spaces)");
        assertThat(configProblems(CONFIG.replace("[\"fd00:a1d::1/64\", \"100.96.0.1/16\"]", "[\"100.96.0.1/33\"]")))
                .singleElement()
                .asString()
                .startsWith("wireguard.addresses[0]: \"100.96.0.1/33\" (expected: ")
                .contains("/32");
        assertThat(configProblems(CONFIG.replace("[\"fd00:a1d::1/64\", \"100.96.0.1/16\"]", "[\"relay.example/16\"]")))
                .singleElement()
                .asString()
                .startsWith("wireguard.addresses[0]: \"relay.example/16\" (expected: ")
                .contains("expected: an IPv4 or IPv6 literal");
        assertThat(configProblems(CONFIG.replace("[\"fd00:a1d::1/64\", \"100.96.0.1/16\"]", "[]")))
                .containsExactly("wireguard.addresses: empty (expected: at least one address with its prefix length)");
        assertThat(configProblems(CONFIG.replace("mtu: 1420", "mtu: big")))
                .containsExactly("wireguard.mtu: \"big\" (expected: an integer from 1280 to 9000)");
        assertThat(configProblems(CONFIG.replace("listen_port: 51820", "listen_port: 51820\n  listen-port: 1")))
                .singleElement()
                .asString()
                .startsWith("wireguard.listen-port: unknown key");
    }

    @Test
    void reportsEveryProblemOfTheSectionAtOnce() {
        assertThat(configProblems("""
                        pop: ams1
                        listen: { tls: "[::]:443" }
                        wireguard:
                          interface: "a/b"
                          listen_port: -1
                          addresses: ["fd00::1/64", 7, "fd00::x"]
                          mtu: 100
                          state_file: ""
                        """))
                .containsExactlyInAnyOrder(
                        "wireguard.interface: \"a/b\" (expected: 1..15 printable ASCII characters without '/', ':' or spaces)",
                        "wireguard.private_key_file: missing (required)",
                        "wireguard.listen_port: -1 (expected: an integer from 0 to 65535)",
                        "wireguard.addresses[1]: 7 (expected: " + ADDRESS_EXPECTATION + ")",
                        "wireguard.addresses[2]: \"fd00::x\" (expected: " + ADDRESS_EXPECTATION + ")",
                        "wireguard.mtu: 100 (expected: an integer from 1280 to 9000)",
                        "wireguard.state_file: \"\" (expected: a file path)");
    }

    @Test
    void readsAWireguardOperatorWithDefaultAndExplicitPortsAndWritesItBack() throws Exception {
        List<Operator> ops = ok(operators("""
                  - name: bob
                    hosts: ["bob.example.test"]
                    wireguard: { public_key: "%s", address: "fd00:a1d::b0b" }
                  - name: carol
                    hosts: ["carol.example.test"]
                    wireguard: { public_key: "%s", address: "100.96.0.12", ports: { http: 8080, tls: 8443 } }
                """.formatted(KEY_A, KEY_B)));
        WireGuardPeer bob = ops.get(0).wireguard();
        assertThat(ops.get(0).upstream()).isNull();
        assertThat(bob)
                .isEqualTo(new WireGuardPeer(
                        WireGuardKey.fromBase64(KEY_A), InetAddress.ofLiteral("fd00:a1d::b0b"), 80, 443));
        assertThat(ops.get(1).wireguard().httpPort()).isEqualTo(8080);
        assertThat(ops.get(1).wireguard().tlsPort()).isEqualTo(8443);
        assertThat(OperatorsFile.validateTunnel(ops, tunnel())).isEmpty();

        String yaml = OperatorsFile.write(ops);
        assertThat(yaml).contains("address: fd00:a1d::b0b").doesNotContain("upstream");
        assertThat(ok(OperatorsFile.parse(yaml, "written"))).isEqualTo(ops);
    }

    @Test
    void parsesOperatorEntries() {
        String key = "+L0RQykaxg5VOFHrjFFqTOscnW2UxofFcCWEHqXyelY=";
        WireGuardPeer bob = ok(operators(WireGuardRelayFixture.operatorEntry("bob", key, "fd00:a1d::b0b", null, null)))
                .get(0)
                .wireguard();
        assertThat(bob.address().getHostAddress()).isEqualTo("fd00:a1d:0:0:0:0:0:b0b");
        assertThat(bob.publicKey().toBase64()).isEqualTo(key);
        assertThat(bob.toPeerConfig().endpoint()).isNull();
        assertThat(problems(operators("""
                  - name: bob
                    hosts: ["bob.example.test"]
                    wireguard: { public_key: "%s" }
                """.formatted(key))))
                .containsExactly("operators[0].wireguard.address: missing (required)");
        assertThat(problems(operators("""
                  - name: bob
                    hosts: ["bob.example.test"]
                    wireguard: { public_key: "abc", address: "fd00::1" }
                """)))
                .singleElement()
                .asString()
                .startsWith("operators[0].wireguard.public_key: \"abc\" (expected: ");
    }

    @Test
    void requiresExactlyOneOfUpstreamAndWireguard() {
        assertThat(problems(operators("""
                  - name: both
                    hosts: ["a.example.test"]
                    upstream: { http: "127.0.0.1:80" }
                    wireguard: { public_key: "%s", address: "fd00:a1d::b" }
                  - name: neither
                    hosts: ["b.example.test"]
                """.formatted(KEY_A))))
                .containsExactly(
                        "operators[0].wireguard: given with upstream (expected: exactly one of upstream, wireguard)",
                        "operators[1].upstream: missing (expected: exactly one of upstream, wireguard)");
    }

    @Test
    void rejectsBadKeysAddressesPortsAndUnknownFields() {
        assertThat(problems(operators("""
                  - name: bad
                    hosts: ["a.example.test"]
                    wireguard: { public_key: "AAAA", address: "fd00:a1d::b/128", ports: { http: 0 }, endpoint: "x" }
                """)))
                .containsExactlyInAnyOrder(
                        "operators[0].wireguard.endpoint: unknown key (expected: one of address, ports, public_key)",
                        "operators[0].wireguard.public_key: \"AAAA\" (expected: 44 characters of base64 encoding 32 bytes, as printed by 'wg pubkey')",
                        "operators[0].wireguard.address: \"fd00:a1d::b/128\" (expected: the operator's tunnel address, an IP literal without a prefix length)",
                        "operators[0].wireguard.ports.http: 0 (expected: an integer from 1 to 65535)");
        // 44 characters of base64 that decode to 33 bytes are not a key either.
        assertThat(problems(operators("""
                  - name: bad
                    hosts: ["a.example.test"]
                    wireguard: { public_key: "%s", address: "fd00:a1d::b" }
                """.formatted("A".repeat(44)))))
                .singleElement()
                .asString()
                .startsWith("operators[0].wireguard.public_key:");
    }

    @Test
    void rejectsTwoOperatorsWithTheSameKeyOrAddress() {
        assertThat(problems(operators("""
                  - name: a
                    hosts: ["a.example.test"]
                    wireguard: { public_key: "%s", address: "fd00:a1d::a" }
                  - name: b
                    hosts: ["b.example.test"]
                    wireguard: { public_key: "%s", address: "fd00:a1d::A" }
                """.formatted(KEY_A, KEY_A))))
                .containsExactly(
                        "operators[1].wireguard.public_key: \"" + KEY_A
                                + "\" (expected: a key not already used by operator \"a\")",
                        "operators[1].wireguard.address: \"fd00:a1d::a\" (expected: an address not already used by operator \"a\")");
    }

    @Test
    void requiresAddressesInsideTheRelaysTunnelPrefixes() {
        List<Operator> ops = ok(operators("""
                  - name: outside
                    hosts: ["a.example.test"]
                    wireguard: { public_key: "%s", address: "fd00:beef::a" }
                  - name: own
                    hosts: ["b.example.test"]
                    wireguard: { public_key: "%s", address: "100.96.0.1" }
                """.formatted(KEY_A, KEY_B)));
        assertThat(OperatorsFile.validateTunnel(ops, tunnel()))
                .extracting(ConfigProblem::toString)
                .containsExactly(
                        "operators[0].wireguard.address: \"fd00:beef::a\" (expected: inside one of the relay's tunnel prefixes "
                                + "[fd00:a1d:0:0:0:0:0:1/64, 100.96.0.1/16])",
                        "operators[1].wireguard.address: \"100.96.0.1\" (expected: not the relay's own tunnel address)");
        assertThat(OperatorsFile.validateTunnel(ops, null))
                .extracting(ConfigProblem::toString)
                .containsExactly(
                        "operators[0].wireguard: a WireGuard operator (expected: a wireguard: section in the relay config)",
                        "operators[1].wireguard: a WireGuard operator (expected: a wireguard: section in the relay config)");
    }
}
