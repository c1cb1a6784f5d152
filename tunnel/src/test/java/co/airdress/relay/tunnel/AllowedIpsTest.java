package co.airdress.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The outbound routing table on its own, with owners that are plain strings. */
class AllowedIpsTest {

    private final AllowedIps<String> table = new AllowedIps<>();

    private static List<IpPrefix> prefixes(String... texts) {
        return java.util.Arrays.stream(texts).map(IpPrefix::parse).toList();
    }

    private @Nullable String to(String destination) {
        byte[] packet = destination.contains(":")
                ? TestPackets.ipv6("fd00::ffff", destination, 8)
                : TestPackets.ipv4("10.255.255.255", destination, 8);
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            return table.lookup(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void routesHostPrefixesOfBothFamilies() {
        table.add("a", prefixes("10.66.0.2/32", "fd66::2/128"));
        table.add("b", prefixes("10.66.0.3", "fd66::3"));
        assertThat(to("10.66.0.2")).isEqualTo("a");
        assertThat(to("fd66::2")).isEqualTo("a");
        assertThat(to("10.66.0.3")).isEqualTo("b");
        assertThat(to("fd66::3")).isEqualTo("b");
        assertThat(to("10.66.0.4")).isNull();
        assertThat(to("fd66::4")).isNull();
    }

    @Test
    void ipv6HostsWhoseLast32BitsCollideAreToldApart() {
        table.add("a", prefixes("fd00:1::1:2"));
        table.add("b", prefixes("fd00:2::1:2"));
        assertThat(to("fd00:1::1:2")).isEqualTo("a");
        assertThat(to("fd00:2::1:2")).isEqualTo("b");
        assertThat(to("fd00:3::1:2")).isNull();
        table.remove("a", prefixes("fd00:1::1:2"));
        assertThat(to("fd00:1::1:2")).isNull();
        assertThat(to("fd00:2::1:2")).isEqualTo("b");
    }

    @Test
    void widerPrefixesMatchLongestFirstAndHostsWin() {
        table.add("wide", prefixes("10.0.0.0/8", "fd00::/16"));
        table.add("narrow", prefixes("10.66.0.0/24", "fd00:66::/32"));
        table.add("host", prefixes("10.66.0.7/32"));
        assertThat(to("10.1.2.3")).isEqualTo("wide");
        assertThat(to("10.66.0.9")).isEqualTo("narrow");
        assertThat(to("10.66.0.7")).isEqualTo("host");
        assertThat(to("fd00:66::1")).isEqualTo("narrow");
        assertThat(to("fd00:1::1")).isEqualTo("wide");
        assertThat(to("192.0.2.1")).isNull();
        table.remove("narrow", prefixes("10.66.0.0/24", "fd00:66::/32"));
        assertThat(to("10.66.0.9")).isEqualTo("wide");
        assertThat(to("fd00:66::1")).isEqualTo("wide");
    }

    @Test
    void anythingButAnIpHeaderHasNoRoute() {
        table.add("all", prefixes("0.0.0.0/0", "::/0"));
        for (byte[] packet : new byte[][] {{}, {0x45, 0, 0}, {0x60, 0, 0, 0}, new byte[40]}) {
            ByteBuf buf = Unpooled.wrappedBuffer(packet);
            assertThat(table.lookup(buf)).isNull();
        }
        assertThat(to("192.0.2.1")).isEqualTo("all");
        assertThat(to("2001:db8::1")).isEqualTo("all");
    }

    @Test
    void aHostRoutedToAnotherOwnerIsRefusedAndNothingChanges() {
        table.add("a", prefixes("10.66.0.2/32", "fd66::2/128"));
        assertThatThrownBy(() -> table.add("b", prefixes("10.66.0.3/32", "10.66.0.2/32")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allowed IP: 10.66.0.2/32 (expected: not already routed to a)");
        assertThatThrownBy(() -> table.add("b", prefixes("fd66::2")))
                .hasMessage("allowed IP: fd66:0:0:0:0:0:0:2/128 (expected: not already routed to a)");
        assertThat(to("10.66.0.3")).as("the refused add left nothing behind").isNull();
        // Its own host again, and a wider prefix over another's host, are not conflicts.
        table.add("a", prefixes("10.66.0.2/32"));
        table.add("b", prefixes("10.66.0.0/24"));
        assertThat(to("10.66.0.2")).isEqualTo("a");
        assertThat(to("10.66.0.5")).isEqualTo("b");
    }

    @Test
    void replaceMovesAnOwnersRoutesOrLeavesThemOnConflict() {
        table.add("a", prefixes("10.66.0.2/32"));
        table.add("b", prefixes("10.66.0.3/32"));
        table.replace("a", prefixes("10.66.0.2/32"), prefixes("10.66.0.20/32", "fd66::20"));
        assertThat(to("10.66.0.2")).isNull();
        assertThat(to("10.66.0.20")).isEqualTo("a");
        assertThat(to("fd66::20")).isEqualTo("a");
        assertThatThrownBy(() -> table.replace("a", prefixes("10.66.0.20/32", "fd66::20"), prefixes("10.66.0.3/32")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(to("10.66.0.20")).isEqualTo("a");
        assertThat(to("10.66.0.3")).isEqualTo("b");
        table.remove("a", prefixes("10.66.0.20/32", "fd66::20"));
        assertThat(to("10.66.0.20")).isNull();
        assertThat(to("fd66::20")).isNull();
        assertThat(to("10.66.0.3")).isEqualTo("b");
    }

    @Test
    void removeLeavesAnotherOwnersHostAlone() {
        table.add("a", prefixes("10.66.0.2/32"));
        table.remove("b", prefixes("10.66.0.2/32"));
        assertThat(to("10.66.0.2")).isEqualTo("a");
    }
}
