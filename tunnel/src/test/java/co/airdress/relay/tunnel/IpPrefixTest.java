package co.airdress.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class IpPrefixTest {

    private static byte[] raw(String address) {
        return InetAddress.ofLiteral(address).getAddress();
    }

    @Test
    void parsesInterfaceAddressesAndHostPrefixes() {
        IpPrefix v6 = IpPrefix.parse("fd00:a1d::1/64");
        assertThat(v6).hasToString("fd00:a1d:0:0:0:0:0:1/64");
        assertThat(v6.isIpv6()).isTrue();
        assertThat(v6.isHost()).isFalse();
        assertThat(IpPrefix.parse("100.96.0.1/16")).hasToString("100.96.0.1/16");
        assertThat(IpPrefix.parse("10.0.0.2")).isEqualTo(IpPrefix.host(InetAddress.ofLiteral("10.0.0.2")));
        assertThat(IpPrefix.parse("fd00::2").isHost()).isTrue();
        assertThat(IpPrefix.parse("fd00::2").prefixLength()).isEqualTo(128);
    }

    @Test
    void refusesNamesShortFormsAndBadLengths() {
        for (String bad : new String[] {
            "relay.example/16", "10.1/8", "", "/8", "10.0.0.1/", "10.0.0.1/x", "10.0.0.1/0008", "fd00::g/64"
        }) {
            assertThatThrownBy(() -> IpPrefix.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("prefix: " + bad + " (expected: ");
        }
        assertThatThrownBy(() -> IpPrefix.parse("100.96.0.1/33"))
                .hasMessage("prefix: 100.96.0.1/33 (expected: a prefix length 0..32)");
        assertThatThrownBy(() -> IpPrefix.parse("fd00::1/129"))
                .hasMessage("prefix: fd00::1/129 (expected: a prefix length 0..128)");
        assertThatThrownBy(() -> new IpPrefix(InetAddress.ofLiteral("10.0.0.1"), -1))
                .hasMessage("prefixLength: -1 (expected: 0..32)");
    }

    @Test
    void containsComparesTheLeadingBitsOfTheSameFamily() {
        IpPrefix net = IpPrefix.parse("10.66.0.0/20");
        assertThat(net.contains(raw("10.66.15.255"))).isTrue();
        assertThat(net.contains(raw("10.66.16.0"))).isFalse();
        assertThat(net.contains(raw("::ffff:0a42:0001")))
                .as("an IPv4-mapped literal is IPv4")
                .isTrue();
        assertThat(net.contains(raw("fd00::1"))).isFalse();
        assertThat(IpPrefix.parse("0.0.0.0/0").contains(raw("192.0.2.1"))).isTrue();
        assertThat(IpPrefix.parse("fd00:a1d::1/64").contains(raw("fd00:a1d::ffff")))
                .isTrue();
        assertThat(IpPrefix.parse("fd00:a1d::1/64").contains(raw("fd00:a1e::1")))
                .isFalse();
        assertThat(IpPrefix.parse("fd00::7").contains(raw("fd00::7"))).isTrue();
        assertThat(IpPrefix.parse("fd00::7").contains(raw("fd00::8"))).isFalse();
    }

    @Test
    void equalityIsAddressAndLength() {
        assertThat(IpPrefix.parse("fd00::1/64")).isEqualTo(IpPrefix.parse("fd00:0::1/64"));
        assertThat(IpPrefix.parse("fd00::1/64")).hasSameHashCodeAs(IpPrefix.parse("fd00:0::1/64"));
        assertThat(IpPrefix.parse("fd00::1/64")).isNotEqualTo(IpPrefix.parse("fd00::1/65"));
        assertThat(IpPrefix.parse("fd00::1/64")).isNotEqualTo(IpPrefix.parse("fd00::2/64"));
    }
}
