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
    void tableIsBounded() throws Exception {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(2);
        assertThat(limiter.allow(InetAddress.ofLiteral("192.0.2.1"), 0)).isTrue();
        assertThat(limiter.allow(InetAddress.ofLiteral("192.0.2.2"), 0)).isTrue();
        assertThat(limiter.allow(InetAddress.ofLiteral("192.0.2.3"), 0)).isFalse();
        assertThat(limiter.size()).isEqualTo(2);
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
