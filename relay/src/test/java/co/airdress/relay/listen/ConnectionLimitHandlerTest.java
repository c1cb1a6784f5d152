package co.airdress.relay.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionLimitHandlerTest {

    private final List<Channel> refused = new ArrayList<>();

    private static EmbeddedChannel from(String ip, ConnectionLimitHandler h) {
        InetSocketAddress remote = new InetSocketAddress(ip, 40000);
        EmbeddedChannel ch = new EmbeddedChannel(false, false) {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
        ch.pipeline().addLast(ConnectionLimitHandler.NAME, h);
        try {
            ch.register();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return ch;
    }

    @Test
    void admitsUnderTheLimitsAndRemovesItself() {
        ConnectionLimitHandler h = new ConnectionLimitHandler(10, 2, refused::add);
        EmbeddedChannel a = from("192.0.2.1", h);
        assertThat(a.isOpen()).isTrue();
        assertThat(a.pipeline().get(ConnectionLimitHandler.NAME)).isNull();
        assertThat(h.open()).isEqualTo(1);
        a.close();
        assertThat(h.open()).isZero();
        assertThat(refused).isEmpty();
    }

    @Test
    void refusesOverThePerAddressLimitAndReleasesOnClose() {
        ConnectionLimitHandler h = new ConnectionLimitHandler(10, 2, refused::add);
        EmbeddedChannel a = from("192.0.2.1", h);
        EmbeddedChannel b = from("192.0.2.1", h);
        EmbeddedChannel c = from("192.0.2.1", h);
        EmbeddedChannel other = from("192.0.2.2", h);
        assertThat(c.isOpen()).isFalse();
        assertThat(refused).containsExactly(c);
        assertThat(other.isOpen()).isTrue();
        a.close();
        EmbeddedChannel d = from("192.0.2.1", h);
        assertThat(d.isOpen()).isTrue();
        b.close();
        d.close();
        other.close();
        assertThat(h.open()).isZero();
    }

    @Test
    void refusesOverTheGlobalLimit() {
        ConnectionLimitHandler h = new ConnectionLimitHandler(2, 100, refused::add);
        EmbeddedChannel a = from("192.0.2.1", h);
        EmbeddedChannel b = from("192.0.2.2", h);
        EmbeddedChannel c = from("192.0.2.3", h);
        assertThat(c.isOpen()).isFalse();
        assertThat(refused).containsExactly(c);
        assertThat(h.open()).isEqualTo(2);
        a.close();
        b.close();
    }

    @Test
    void theAddressCounterForgetsAddressesAtZero() throws Exception {
        AddressCounter counter = new AddressCounter(1);
        InetAddress a = InetAddress.ofLiteral("192.0.2.9");
        assertThat(counter.tryAcquire(a)).isTrue();
        assertThat(counter.tryAcquire(a)).isFalse();
        counter.release(a);
        assertThat(counter.addresses()).isZero();
    }
}
