package co.airdress.relay.tunnel.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class HandshakeRateLimiterTest {

    private static final long MS = 1_000_000L;

    @Test
    void burstOfFiveThenTwentyPerSecondPerSource() throws Exception {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(1024);
        InetAddress a = InetAddress.ofLiteral("192.0.2.1");
        InetAddress b = InetAddress.ofLiteral("2001:db8::1");
        long now = 5_000 * MS;
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.allow(a, now)).as("burst %d", i).isTrue();
        }
        assertThat(limiter.allow(a, now)).isFalse();
        assertThat(limiter.allow(b, now)).as("other source unaffected").isTrue();
        assertThat(limiter.allow(a, now + 49 * MS)).isFalse();
        assertThat(limiter.allow(a, now + 50 * MS)).isTrue();
        assertThat(limiter.allow(a, now + 50 * MS)).isFalse();
        // A quiet second refills the whole burst (and the idle entry is collected).
        long later = now + 3_000 * MS;
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.allow(a, later)).isTrue();
        }
        assertThat(limiter.allow(a, later)).isFalse();
    }

    @Test
    void theTableIsBoundedAndANewSourceTakesTheLeastRecentOnesPlace() throws Exception {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(2);
        InetAddress a = InetAddress.ofLiteral("192.0.2.1");
        InetAddress b = InetAddress.ofLiteral("192.0.2.2");
        InetAddress c = InetAddress.ofLiteral("192.0.2.3");
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.allow(a, 0)).isTrue();
        }
        assertThat(limiter.allow(a, 0)).as("a's burst spent").isFalse();
        assertThat(limiter.allow(b, 1)).isTrue();
        assertThat(limiter.allow(c, 2)).as("a new source, table full: admitted").isTrue();
        assertThat(limiter.size()).isEqualTo(2);
        assertThat(limiter.evictions()).isEqualTo(1);
        // a, heard from least recently, made room: it comes back with a fresh bucket, in b's place.
        assertThat(limiter.allow(a, 3)).isTrue();
        assertThat(limiter.size()).isEqualTo(2);
        assertThat(limiter.evictions()).isEqualTo(2);
        // c is still there, its bucket intact (one packet taken, four left).
        for (int i = 0; i < 4; i++) {
            assertThat(limiter.allow(c, 4)).isTrue();
        }
        assertThat(limiter.allow(c, 4)).isFalse();
    }

    @Test
    void theAddressesOfOneIpv6PrefixShareOneBucket() throws Exception {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(1024);
        long now = 5_000 * MS;
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.allow(InetAddress.ofLiteral("2001:db8:1:2::" + Integer.toHexString(i + 1)), now))
                    .isTrue();
        }
        assertThat(limiter.allow(InetAddress.ofLiteral("2001:db8:1:2:ffff::9"), now))
                .as("a sixth address of the same /64")
                .isFalse();
        assertThat(limiter.allow(InetAddress.ofLiteral("2001:db8:1:3::1"), now))
                .as("another /64")
                .isTrue();
        assertThat(limiter.size()).isEqualTo(2);

        HandshakeRateLimiter per128 = new HandshakeRateLimiter(1024, new SourcePrefix(128));
        for (int i = 0; i < 10; i++) {
            assertThat(per128.allow(InetAddress.ofLiteral("2001:db8:1:2::" + Integer.toHexString(i + 1)), now))
                    .isTrue();
        }
    }

    @Test
    void sixtyFiveThousandAddressesOfOneSlash64DoNotLockOutANewSource() throws Exception {
        // The table as the engine sizes it; one /64 sprays 65,536 addresses within one instant.
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(65536);
        long now = 7_000 * MS;
        int allowed = 0;
        for (int i = 0; i < 65536; i++) {
            if (limiter.allow(InetAddress.ofLiteral("2001:db8:a77:1::" + Integer.toHexString(i)), now)) {
                allowed++;
            }
        }
        assertThat(allowed).as("the /64's burst").isEqualTo(HandshakeRateLimiter.PACKETS_BURSTABLE);
        assertThat(limiter.size()).isEqualTo(1);
        assertThat(limiter.allow(InetAddress.ofLiteral("198.51.100.7"), now)).isTrue();
        assertThat(limiter.allow(InetAddress.ofLiteral("2001:db8:b0b::1"), now)).isTrue();
    }

    @Test
    void aTableFilledByManyPrefixesStillAdmitsANewSource() throws Exception {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(65536);
        long now = 9_000 * MS;
        for (int i = 0; i < 65536; i++) {
            // 65,536 distinct /64s of one /48
            assertThat(limiter.allow(InetAddress.ofLiteral("2001:db8:a77:" + Integer.toHexString(i) + "::1"), now))
                    .isTrue();
        }
        assertThat(limiter.size()).isEqualTo(65536);
        assertThat(limiter.allow(InetAddress.ofLiteral("198.51.100.7"), now)).isTrue();
        assertThat(limiter.size()).isEqualTo(65536);
    }

    @Test
    void sourcePrefixKeys() throws Exception {
        SourcePrefix p64 = new SourcePrefix(64);
        assertThat(p64.keyOf(InetAddress.ofLiteral("2001:db8:1:2:3:4:5:6")))
                .isEqualTo(p64.keyOf(InetAddress.ofLiteral("2001:db8:1:2::")))
                .hasToString("2001:db8:1:2:0:0:0:0");
        assertThat(p64.keyOf(InetAddress.ofLiteral("::ffff:192.0.2.1")))
                .as("IPv4-mapped is IPv4")
                .isEqualTo(p64.keyOf(InetAddress.ofLiteral("192.0.2.1")))
                .hasToString("192.0.2.1");
        assertThat(p64.keyOf(InetAddress.ofLiteral("192.0.2.1")))
                .isNotEqualTo(p64.keyOf(InetAddress.ofLiteral("192.0.2.2")));
        SourcePrefix p56 = new SourcePrefix(56);
        assertThat(p56.keyOf(InetAddress.ofLiteral("2001:db8:1:2ff::1")))
                .isEqualTo(p56.keyOf(InetAddress.ofLiteral("2001:db8:1:200::")));
        SourcePrefix p100 = new SourcePrefix(100);
        assertThat(p100.keyOf(InetAddress.ofLiteral("2001:db8::1:0fff:ffff")))
                .isEqualTo(p100.keyOf(InetAddress.ofLiteral("2001:db8::1:0:0")))
                .isNotEqualTo(p100.keyOf(InetAddress.ofLiteral("2001:db8::1:1000:0")));
        SourcePrefix p128 = new SourcePrefix(128);
        assertThat(p128.keyOf(InetAddress.ofLiteral("2001:db8::1")))
                .isNotEqualTo(p128.keyOf(InetAddress.ofLiteral("2001:db8::2")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SourcePrefix(31))
                .hasMessage("ipv6Length: 31 (expected: 32..128)");
    }

    @Test
    void loadMonitorTripsAboveThresholdAndRecoversAfterASecond() {
        LoadMonitor monitor = new LoadMonitor(3);
        long t = 10_000 * MS;
        assertThat(monitor.onHandshakeMessage(t)).isFalse();
        assertThat(monitor.onHandshakeMessage(t)).isFalse();
        assertThat(monitor.onHandshakeMessage(t)).isFalse();
        assertThat(monitor.onHandshakeMessage(t + MS)).isTrue();
        assertThat(monitor.onHandshakeMessage(t + 900 * MS)).isTrue();
        assertThat(monitor.onHandshakeMessage(t + 2_500 * MS)).isFalse();
        assertThat(new LoadMonitor(0).onHandshakeMessage(0)).isTrue();
    }
}
