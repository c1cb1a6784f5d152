package co.airdress.relay.backhaul;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PopTableTest {

    private static PopAnnouncement pop(String name, int n, String... mesh) throws Exception {
        byte[] key = new byte[32];
        key[0] = (byte) n;
        List<InetAddress> addresses = new java.util.ArrayList<>();
        for (String m : mesh) {
            addresses.add(InetAddress.getByName(m));
        }
        return new PopAnnouncement(
                name, WireGuardKey.of(key), addresses, new InetSocketAddress("203.0.113." + n, 51821));
    }

    @Test
    void announcementsRoundTripThroughJson() throws Exception {
        PopAnnouncement a = pop("pop2", 2, "100.127.0.2", "fd00:a1d:b::2");
        assertThat(PopAnnouncement.parse("pop2", a.toJson())).isEqualTo(new PopAnnouncement.Parsed.Ok(a));
        assertThat(PopAnnouncement.parse("pop3", a.toJson())).isInstanceOf(PopAnnouncement.Parsed.Invalid.class);
        for (String bad : List.of(
                "[]",
                "not json",
                "{\"name\":\"pop2\"}",
                "{\"name\":\"pop2\",\"public_key\":\"x\",\"addresses\":[\"100.127.0.2\"],\"endpoint\":\"1.2.3.4:5\"}",
                "{\"name\":\"pop2\",\"public_key\":\"" + a.publicKey().toBase64()
                        + "\",\"addresses\":[\"host.example\"],\"endpoint\":\"1.2.3.4:5\"}",
                "{\"name\":\"pop2\",\"public_key\":\"" + a.publicKey().toBase64()
                        + "\",\"addresses\":[\"100.127.0.2\"],\"endpoint\":\"1.2.3.4\"}")) {
            assertThat(PopAnnouncement.parse("pop2", bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad)
                    .isInstanceOf(PopAnnouncement.Parsed.Invalid.class);
        }
    }

    @Test
    void popsComeAndGoAndTheMeshFollows() throws Exception {
        PopTable t = new PopTable("pop1", 3);
        assertThat(t.apply("pop1", pop("pop1", 1, "100.127.0.1").toJson())).isEqualTo(PopTable.Change.SELF);
        PopAnnouncement p2 = pop("pop2", 2, "100.127.0.2", "fd00:a1d:b::2");
        assertThat(t.apply("pop2", p2.toJson())).isEqualTo(PopTable.Change.ADDED);
        assertThat(t.apply("pop2", p2.toJson())).isEqualTo(PopTable.Change.UNCHANGED);
        assertThat(t.apply("pop3", pop("pop3", 3, "100.127.0.3").toJson())).isEqualTo(PopTable.Change.ADDED);
        assertThat(t.apply("pop4", pop("pop4", 4, "100.127.0.4").toJson()))
                .as("max_pops counts this PoP")
                .isEqualTo(PopTable.Change.FULL);
        assertThat(t.apply("pop3", "{}".getBytes(StandardCharsets.UTF_8))).isEqualTo(PopTable.Change.INVALID);
        assertThat(t.pop("pop3"))
                .as("an invalid record leaves the PoP as it was")
                .isNotNull();

        assertThat(t.isPeer(InetAddress.getByName("100.127.0.2"))).isTrue();
        assertThat(t.isPeer(InetAddress.getByName("100.127.0.9"))).isFalse();
        assertThat(t.popAt(InetAddress.getByName("fd00:a1d:b::2"))).isEqualTo("pop2");
        assertThat(t.meshAddress("pop2", List.of(InetAddress.getByName("fd00:a1d:b::1"))))
                .isEqualTo(InetAddress.getByName("fd00:a1d:b::2"));
        assertThat(t.meshAddress("pop3", List.of(InetAddress.getByName("fd00:a1d:b::1"))))
                .as("no common family")
                .isNull();

        List<PeerConfig> peers = t.peers();
        assertThat(peers).hasSize(2);
        assertThat(peers.getFirst().endpoint()).isEqualTo(new InetSocketAddress("203.0.113.2", 51821));
        assertThat(peers.getFirst().allowedIps()).hasSize(2);

        PopAnnouncement moved = pop("pop2", 2, "100.127.0.22");
        assertThat(t.apply("pop2", moved.toJson())).isEqualTo(PopTable.Change.UPDATED);
        assertThat(t.isPeer(InetAddress.getByName("100.127.0.2"))).isFalse();
        assertThat(t.apply("pop2", null)).isEqualTo(PopTable.Change.REMOVED);
        assertThat(t.apply("pop2", null)).isEqualTo(PopTable.Change.UNCHANGED);
        assertThat(t.apply("pop4", pop("pop4", 4, "100.127.0.4").toJson())).isEqualTo(PopTable.Change.ADDED);
        assertThat(t.size()).isEqualTo(2);
    }
}
