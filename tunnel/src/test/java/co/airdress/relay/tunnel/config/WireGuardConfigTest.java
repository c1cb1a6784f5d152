package co.airdress.relay.tunnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WireGuardConfigTest {

    // A key printed by 'wg genkey' (wireguard-tools 1.0.20210914).
    private static final String PRIVATE = "+L0RQykaxg5VOFHrjFFqTOscnW2UxofFcCWEHqXyelY=";

    private static Map<String, Object> sample() {
        Map<String, Object> map = new HashMap<>();
        map.put("interface", "relay0");
        map.put("private_key_file", "/etc/relay/wg.key");
        map.put("listen_port", 51820);
        map.put("addresses", List.of("fd00:a1d::1/64", "100.96.0.1/16"));
        map.put("mtu", 1420);
        return map;
    }

    @Test
    void parsesTheDocumentedExample() {
        WireGuardConfig config = WireGuardConfig.fromMap(sample());
        assertThat(config.interfaceName()).isEqualTo("relay0");
        assertThat(config.privateKeyFile()).isEqualTo(Path.of("/etc/relay/wg.key"));
        assertThat(config.listenPort()).isEqualTo(51820);
        assertThat(config.addresses())
                .extracting(InterfaceAddress::toString)
                .containsExactly("fd00:a1d:0:0:0:0:0:1/64", "100.96.0.1/16");
        assertThat(config.addresses().get(0).isIpv6()).isTrue();
        assertThat(config.mtu()).isEqualTo(1420);
    }

    @Test
    void defaultsPortAndMtu() {
        Map<String, Object> map = sample();
        map.remove("listen_port");
        map.remove("mtu");
        WireGuardConfig config = WireGuardConfig.fromMap(map);
        assertThat(config.listenPort()).isEqualTo(51820);
        assertThat(config.mtu()).isEqualTo(1420);
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheSetting() {
        Map<String, Object> map = sample();
        map.put("mtu", 70000);
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map))
                .hasMessage("wireguard.mtu: 70000 (expected: 1280..9000)");
        map.put("mtu", 1420);
        map.put("listen_port", 70000);
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map))
                .hasMessage("wireguard.listen_port: 70000 (expected: 0..65535)");
        map.put("listen_port", 1);
        map.put("interface", "a-name-longer-than-15");
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map))
                .hasMessageStartingWith("wireguard.interface: 'a-name-longer-than-15'");
        map.put("interface", "relay0");
        map.put("addresses", List.of("100.96.0.1/33"));
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map))
                .hasMessage("wireguard.addresses[0]: prefix length: 33 (expected: 0..32)");
        map.put("addresses", List.of("relay.example/16"));
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map))
                .hasMessageContaining("expected: an IPv4 or IPv6 literal");
        map.put("addresses", List.of());
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map)).hasMessageStartingWith("wireguard.addresses: []");
        map.put("addresses", List.of("10.0.0.1/8"));
        map.put("mtu", "big");
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map)).hasMessage("wireguard.mtu: big (expected: an integer)");
        map.put("mtu", 1420);
        map.put("listen-port", 1);
        assertThatThrownBy(() -> WireGuardConfig.fromMap(map))
                .hasMessageStartingWith("wireguard.listen-port: unknown setting");
    }

    @Test
    void readsKeyFilesInWgFormat(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wg.key");
        Files.writeString(file, PRIVATE + "\n");
        co.airdress.relay.tunnel.WireGuardKey key = KeyText.readFile(file);
        assertThat(key.toBase64()).isEqualTo(PRIVATE);
        assertThat(key.bytes()).hasSize(32);

        Files.writeString(file, "not a key\n");
        assertThatThrownBy(() -> KeyText.readFile(file))
                .hasMessageStartingWith("private key file " + file + ": a 9-character value");
        Files.writeString(file, PRIVATE.replace('y', '*'));
        assertThatThrownBy(() -> KeyText.readFile(file)).hasMessageContaining("not base64");
    }

    @Test
    void parsesOperatorEntries() {
        OperatorPeer peer = OperatorPeer.fromMap(
                "operators.bob.wireguard", Map.of("public_key", PRIVATE, "address", "fd00:a1d::b0b"));
        assertThat(peer.address().getHostAddress()).isEqualTo("fd00:a1d:0:0:0:0:0:b0b");
        assertThat(peer.publicKey().toBase64()).isEqualTo(PRIVATE);
        assertThat(peer.endpoint()).isNull();
        assertThatThrownBy(() -> OperatorPeer.fromMap("operators.bob.wireguard", Map.of("public_key", PRIVATE)))
                .hasMessage("operators.bob.wireguard.address: null (expected: an IP address)");
        assertThatThrownBy(() -> OperatorPeer.fromMap(
                        "operators.bob.wireguard", Map.of("public_key", "abc", "address", "fd00::1")))
                .hasMessageStartingWith("operators.bob.wireguard.public_key: a 3-character value");
    }
}
