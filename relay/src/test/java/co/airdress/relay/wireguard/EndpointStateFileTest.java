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

    private static EndpointStateFile.Peer at(String ip, int port) throws Exception {
        return new EndpointStateFile.Peer(new InetSocketAddress(InetAddress.getByName(ip), port), null);
    }

    private static final String TAI64N = "400000006a2b3c4d0f000000";

    @Test
    void roundTripsIpv4AndIpv6Endpoints() throws Exception {
        Map<WireGuardKey, EndpointStateFile.Peer> endpoints = new LinkedHashMap<>();
        endpoints.put(key(), at("192.0.2.7", 51821));
        endpoints.put(key(), at("2001:db8::a", 40000));
        EndpointStateFile file = new EndpointStateFile(dir.resolve("relay0.endpoints"));

        file.write(endpoints);

        assertThat(new EndpointStateFile(dir.resolve("relay0.endpoints")).load())
                .isEqualTo(endpoints);
        assertThat(Files.readString(dir.resolve("relay0.endpoints"))).containsPattern("\\[2001:db8:[0-9a-f:]+]:40000");
    }

    @Test
    void roundTripsTheLatestInitiationTimestamp() throws Exception {
        WireGuardKey a = key();
        EndpointStateFile.Peer withFloor =
                new EndpointStateFile.Peer(at("192.0.2.7", 51821).endpoint(), TAI64N);
        EndpointStateFile file = new EndpointStateFile(dir.resolve("relay0.endpoints"));
        file.write(Map.of(a, withFloor));
        assertThat(Files.readString(dir.resolve("relay0.endpoints")))
                .isEqualTo(a.toBase64() + " 192.0.2.7:51821 " + TAI64N + "\n");
        assertThat(file.load()).isEqualTo(Map.of(a, withFloor));
        assertThat(withFloor.latestInitiationBytes()).hasSize(12).startsWith(0x40, 0, 0, 0, 0x6a);
    }

    @Test
    void aFileWrittenBeforeTimestampsWereKeptIsReadAsItWas() throws Exception {
        // The previous format: '<key> <ip>:<port>' only; the next save adds the timestamps.
        WireGuardKey a = key();
        WireGuardKey b = key();
        Path path = dir.resolve("relay0.endpoints");
        Files.writeString(
                path, a.toBase64() + " 192.0.2.1:51820\n" + b.toBase64() + " [2001:db8::b]:4000 " + TAI64N + "\n");
        assertThat(new EndpointStateFile(path).load())
                .containsExactly(
                        Map.entry(a, at("192.0.2.1", 51820)),
                        Map.entry(
                                b,
                                new EndpointStateFile.Peer(
                                        at("2001:db8::b", 4000).endpoint(), TAI64N)));
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
            key().toBase64() + " 192.0.2.1:51820 400000006a2b3c4d0f00000\n",
            key().toBase64() + " 192.0.2.1:51820 400000006A2B3C4D0F000000\n",
            key().toBase64() + " 192.0.2.1:51820 400000006a2b3c4d0f00000g\n",
            key().toBase64() + " 192.0.2.1:51820 " + TAI64N + " extra\n",
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
