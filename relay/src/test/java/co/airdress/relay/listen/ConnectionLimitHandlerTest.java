package co.airdress.relay.listen;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
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
        AddressCounter.Slot slot = counter.acquire(a);
        assertThat(slot).isNotNull();
        assertThat(counter.acquire(a)).isNull();
        counter.release(slot);
        assertThat(counter.sources()).isZero();
    }

    @Test
    void ipv6AddressesOfOnePrefixShareOneCountAndIpv4StaysPerAddress() {
        ConnectionLimitHandler h =
                new ConnectionLimitHandler(100, new AddressCounter(2, new SourcePrefix(64)), refused::add);
        EmbeddedChannel a = from("2001:db8:1:2::1", h);
        EmbeddedChannel b = from("2001:db8:1:2:ffff:ffff:ffff:ffff", h);
        EmbeddedChannel c = from("2001:db8:1:2::3", h);
        EmbeddedChannel otherPrefix = from("2001:db8:1:3::1", h);
        EmbeddedChannel v4a = from("192.0.2.1", h);
        EmbeddedChannel v4b = from("192.0.2.2", h);
        assertThat(a.isOpen()).isTrue();
        assertThat(b.isOpen()).isTrue();
        assertThat(c.isOpen()).as("a third address of the same /64").isFalse();
        assertThat(refused).containsExactly(c);
        assertThat(otherPrefix.isOpen()).isTrue();
        assertThat(v4a.isOpen()).isTrue();
        assertThat(v4b.isOpen()).isTrue();
        a.close();
        assertThat(from("2001:db8:1:2::4", h).isOpen())
                .as("room again once one closed")
                .isTrue();
    }

    @Test
    void theIpv6PrefixIsConfigurable() {
        ConnectionLimitHandler per128 =
                new ConnectionLimitHandler(100, new AddressCounter(1, new SourcePrefix(128)), refused::add);
        assertThat(from("2001:db8::1", per128).isOpen()).isTrue();
        assertThat(from("2001:db8::2", per128).isOpen()).isTrue();
        ConnectionLimitHandler per48 =
                new ConnectionLimitHandler(100, new AddressCounter(1, new SourcePrefix(48)), refused::add);
        assertThat(from("2001:db8:1:1::1", per48).isOpen()).isTrue();
        assertThat(from("2001:db8:1:2::1", per48).isOpen()).as("same /48").isFalse();
        assertThat(from("2001:db8:2:1::1", per48).isOpen()).isTrue();
    }

    @Test
    void theAddressCounterStaysExactUnderConcurrentAcquireAndRelease() throws Exception {
        AddressCounter counter = new AddressCounter(3, new SourcePrefix(64));
        InetAddress[] sources = {InetAddress.ofLiteral("2001:db8::1"), InetAddress.ofLiteral("2001:db8::2")};
        java.util.concurrent.atomic.AtomicInteger overLimit = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicIntegerArray held = new java.util.concurrent.atomic.AtomicIntegerArray(2);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    int source = (i + seed) & 1;
                    AddressCounter.Slot slot = counter.acquire(sources[source]);
                    if (slot == null) {
                        continue;
                    }
                    if (held.incrementAndGet(source) > 3) {
                        overLimit.incrementAndGet();
                    }
                    held.decrementAndGet(source);
                    counter.release(slot);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(overLimit).hasValue(0);
        assertThat(counter.sources()).isZero();
        assertThat(counter.count(sources[0])).isZero();
    }
}
