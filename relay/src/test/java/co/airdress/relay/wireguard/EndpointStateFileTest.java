package co.airdress.relay.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointStateFileTest {

    @TempDir
    Path dir;

    private static WireGuardKey key() {
        return WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom()));
    }

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void roundTripsIpv4AndIpv6Endpoints() throws Exception {
        Map<WireGuardKey, InetSocketAddress> endpoints = new LinkedHashMap<>();
        endpoints.put(key(), at("192.0.2.7", 51821));
        endpoints.put(key(), at("2001:db8::a", 40000));
        EndpointStateFile file = new EndpointStateFile(dir.resolve("relay0.endpoints"));

        file.write(endpoints);

        assertThat(new EndpointStateFile(dir.resolve("relay0.endpoints")).load())
                .isEqualTo(endpoints);
        assertThat(Files.readString(dir.resolve("relay0.endpoints"))).containsPattern("\\[2001:db8:[0-9a-f:]+]:40000");
    }

    @Test
    void writeReplacesTheWholeFileAndLeavesNoTemporary() throws Exception {
        EndpointStateFile file = new EndpointStateFile(dir.resolve("relay0.endpoints"));
        WireGuardKey a = key();
        WireGuardKey b = key();
        file.write(Map.of(a, at("192.0.2.1", 1000), b, at("192.0.2.2", 2000)));

        file.write(Map.of(a, at("198.51.100.9", 3000)));

        assertThat(file.load()).isEqualTo(Map.of(a, at("198.51.100.9", 3000)));
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(dir.resolve("relay0.endpoints"));
        }
    }

    @Test
    void missingFileIsEmpty() {
        assertThat(new EndpointStateFile(dir.resolve("none.endpoints")).load()).isEmpty();
    }

    @Test
    void corruptFileIsIgnoredWhole() throws Exception {
        Path path = dir.resolve("relay0.endpoints");
        String good = key().toBase64() + " 192.0.2.1:51820\n";
        for (String bad : new String[] {
            "not a key 192.0.2.1:51820\n",
            key().toBase64() + " example.com:51820\n",
            key().toBase64() + " 192.0.2.1:70000\n",
            key().toBase64() + " 192.0.2.1\n",
            key().toBase64() + " 2001:db8::1:51820\n",
            key().toBase64() + "\n",
            "\u0000\u0001\u00ff garbage",
        }) {
            Files.writeString(path, good + bad);
            assertThat(new EndpointStateFile(path).load()).as(bad).isEmpty();
        }
        Files.write(path, new byte[] {(byte) 0xc3, (byte) 0x28, '\n'});
        assertThat(new EndpointStateFile(path).load()).isEmpty();
    }

    @Test
    void aDirectoryInPlaceOfTheFileIsIgnored() throws Exception {
        Path path = Files.createDirectory(dir.resolve("relay0.endpoints"));
        assertThat(new EndpointStateFile(path).load()).isEmpty();
    }
}
