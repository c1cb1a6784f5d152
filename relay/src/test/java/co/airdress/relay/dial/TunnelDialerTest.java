package co.airdress.relay.dial;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The fail-fast decision: WireGuard operators by the tunnel's reachability, direct ones always. */
class TunnelDialerTest {

    private static WireGuardKey key() {
        return WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom()));
    }

    @Test
    void refusesAtOnceOnlyWireguardOperatorsTheTunnelCannotReach() {
        WireGuardKey up = key();
        WireGuardKey down = key();
        Set<WireGuardKey> reachable = ConcurrentHashMap.newKeySet();
        reachable.add(up);
        Counter refused = Counter.builder("refused").register(new SimpleMeterRegistry());
        TunnelDialer dialer = new TunnelDialer(
                new DirectDialer(Duration.ofSeconds(5), new WriteBufferWaterMark(1, 2)), reachable::contains, refused);
        Operator live = new Operator(
                "live",
                List.of("live.example.test"),
                null,
                ProxyProtocol.NONE,
                new WireGuardPeer(up, InetAddress.ofLiteral("fd00:a1d::a")));
        Operator dead = new Operator(
                "dead",
                List.of("dead.example.test"),
                null,
                ProxyProtocol.NONE,
                new WireGuardPeer(down, InetAddress.ofLiteral("fd00:a1d::b")));
        Operator direct = new Operator(
                "direct",
                List.of("direct.example.test"),
                new Upstream(new InetSocketAddress("127.0.0.1", 8080), null),
                ProxyProtocol.NONE);

        assertThat(dialer.mayReach(live, Listener.TLS)).isTrue();
        assertThat(dialer.mayReach(direct, Listener.HTTP)).isTrue();
        assertThat(refused.count()).isZero();
        assertThat(dialer.mayReach(dead, Listener.HTTP)).isFalse();
        assertThat(refused.count()).isEqualTo(1);
        // The answer follows the tunnel's state, not a cached one.
        reachable.add(down);
        assertThat(dialer.mayReach(dead, Listener.HTTP)).isTrue();
    }
}
