package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules that depend on this host's addresses, with the host's interfaces given (the real ones
 * differ from machine to machine): RelayCommandTest and UpstreamReachTest cover the rest through
 * {@code relay check}, the daemon and the admin API.
 */
class RelayContextTest {

    /** A PoP: the VIP on a dummy interface, an internal address on eth0, loopback. */
    private static final Map<InetAddress, String> HOST = Map.of(
            InetAddress.ofLiteral("192.0.2.1"), "vip0",
            InetAddress.ofLiteral("10.1.2.3"), "eth0",
            InetAddress.ofLiteral("127.0.0.1"), "lo");

    private static RelayContext pop(boolean allowLoopback) {
        return new RelayContext(
                List.of(
                        new RelayContext.Endpoint("listen.tls", new InetSocketAddress("::", 443)),
                        new RelayContext.Endpoint("management.listen", new InetSocketAddress("10.1.2.3", 9090))),
                null,
                new RelayConfig.Upstreams(allowLoopback),
                () -> HOST);
    }

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(InetAddress.ofLiteral(ip), port);
    }

    @Test
    void theVipAtAListenersPortIsTheRelayItself() {
        // A loop: the relay would connect to its own listener, which routes the name to it again.
        assertThat(pop(true).refusal(at("192.0.2.1", 443)))
                .isEqualTo("not the relay's own listen.tls [::]:443, which takes connections on every address of "
                        + "this host");
        assertThat(pop(true).refusal(at("::ffff:192.0.2.1", 443))).startsWith("not the relay's own listen.tls");
        assertThat(pop(true).refusal(at("10.1.2.3", 9090)))
                .isEqualTo("not the relay's own management.listen 10.1.2.3:9090");
    }

    @Test
    void anyAddressOfThisHostReachesItsServicesWhateverTheSwitch() {
        for (boolean allowLoopback : new boolean[] {false, true}) {
            assertThat(pop(allowLoopback).refusal(at("10.1.2.3", 22)))
                    .isEqualTo("not an address of this host (interface eth0): it reaches this host's own services");
            assertThat(pop(allowLoopback).refusal(at("192.0.2.1", 8080)))
                    .isEqualTo("not an address of this host (interface vip0): it reaches this host's own services");
        }
        assertThat(pop(false).refusal(at("127.0.0.1", 8080))).startsWith("not a loopback address");
        assertThat(pop(true).refusal(at("127.0.0.1", 8080))).isNull();
    }

    @Test
    void otherHostsOnTheInternalNetworkAreUpstreams() {
        assertThat(pop(false).refusal(at("10.1.2.4", 443))).isNull();
        assertThat(pop(false).refusal(at("192.0.2.2", 443))).isNull();
        assertThat(pop(false).refusal(at("fd12::7", 9090))).isNull();
    }

    @Test
    void ipv4CarriedInIpv6IsJudgedAsIpv4() {
        assertThat(RelayContext.carriedIpv4(InetAddress.ofLiteral("::127.0.0.1")))
                .isEqualTo(InetAddress.ofLiteral("127.0.0.1"));
        assertThat(RelayContext.carriedIpv4(InetAddress.ofLiteral("64:ff9b::a9fe:a9fe")))
                .isEqualTo(InetAddress.ofLiteral("169.254.169.254"));
        assertThat(RelayContext.carriedIpv4(InetAddress.ofLiteral("::1"))).isEqualTo(InetAddress.ofLiteral("::1"));
        assertThat(RelayContext.carriedIpv4(InetAddress.ofLiteral("::"))).isEqualTo(InetAddress.ofLiteral("::"));
        assertThat(RelayContext.carriedIpv4(InetAddress.ofLiteral("2001:db8::1")))
                .isEqualTo(InetAddress.ofLiteral("2001:db8::1"));
        assertThat(pop(false).refusal(at("64:ff9b::a9fe:a9fe", 80))).startsWith("not a link-local or cloud metadata");
        assertThat(pop(false).refusal(at("::10.1.2.3", 22))).startsWith("not an address of this host");
    }
}
