package co.airdress.relay.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesAddressesAsIpLiteralsOnly() {
        assertThat(HostPort.parse("[::1]:443", 1)).isEqualTo(new InetSocketAddress("::1", 443));
        assertThat(HostPort.parse("10.0.0.1:1", 1)).isEqualTo(new InetSocketAddress("10.0.0.1", 1));
        assertThat(HostPort.parse("localhost:80", 1)).isNull();
        assertThat(HostPort.parse("::1:443", 1)).isNull();
        assertThat(HostPort.parse("[::1]:0", 1)).isNull();
        assertThat(HostPort.parse("[::1]:0", 0)).isNotNull();
        assertThat(HostPort.parse("1.2.3.4:65536", 1)).isNull();
        assertThat(HostPort.parse("1.2.3.4:-1", 0)).isNull();
        assertThat(HostPort.parse("1.2.3.4:", 0)).isNull();
        assertThat(HostPort.parse("[1.2.3.4]:80", 0)).isNull();
        assertThat(HostPort.parse("999.2.3.4:80", 0)).isNull();
    }

    @Test
    void refusesNamesWithoutLookingThemUp() {
        // A name that would resolve (localhost) and one that cannot: both refused, neither looked up.
        assertThat(HostPort.parse("localhost:9191", 0)).isNull();
        assertThat(HostPort.parse("relay.invalid:9191", 0)).isNull();
        assertThat(HostPort.parse("[localhost]:9191", 0)).isNull();
        assertThat(HostPort.parse("example.com:51820", 1)).isNull();
        assertThat(HostPort.parse("192.0.2.1", 1)).isNull();
        assertThat(HostPort.parse("192.0.2.1:+80", 1)).isNull();
        assertThat(HostPort.parse(":80", 1)).isNull();
        assertThat(HostPort.parse("[]:80", 1)).isNull();
    }

    @Test
    void formatsWhatItParsesBack() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.7"), 51821);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.ofLiteral("2001:db8::a"), 40000);
        assertThat(HostPort.format(v4)).isEqualTo("192.0.2.7:51821");
        assertThat(HostPort.format(v6)).isEqualTo("[2001:db8::a]:40000");
        assertThat(HostPort.formatUncompressed(v6)).isEqualTo("[2001:db8:0:0:0:0:0:a]:40000");
        for (InetSocketAddress a : new InetSocketAddress[] {v4, v6}) {
            assertThat(HostPort.parse(HostPort.format(a), 1)).isEqualTo(a);
            assertThat(HostPort.parse(HostPort.formatUncompressed(a), 1)).isEqualTo(a);
        }
        assertThat(HostPort.format(InetSocketAddress.createUnresolved("relay.invalid", 80)))
                .isEqualTo("relay.invalid:80");
    }
}
