package co.airdress.relay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.RecentEvents;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class StateMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final HealthState health = new HealthState("ams1");
    private final RelayConfig config = new RelayConfig(
            "ams1",
            new RelayConfig.Listen(new InetSocketAddress("127.0.0.1", 0), null),
            new RelayConfig.Management(new InetSocketAddress("127.0.0.1", 0), null),
            Path.of("operators.yaml"),
            new RelayConfig.Limits(5000, 256, 32, 16384, 16384),
            RelayConfigFile.DEFAULT_TIMEOUTS,
            new RelayConfig.Drain(Duration.ofSeconds(10), Duration.ofMinutes(5)));

    private double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void readinessIsOneForTheCurrentStatusOnly() {
        StateMetrics.register(registry, health, config);
        assertThat(gauge("relay.readiness", "status", "DOWN")).isEqualTo(1);
        assertThat(gauge("relay.readiness", "status", "UP")).isZero();
        health.listener("http", true);
        health.operators(true, 1, null);
        assertThat(gauge("relay.readiness", "status", "UP")).isEqualTo(1);
        assertThat(gauge("relay.readiness", "status", "DOWN")).isZero();
        assertThat(gauge("relay.readiness", "status", "DRAINING")).isZero();
    }

    @Test
    void theDrainsElapsedTimeCountsFromItsStartAgainstTheTimeout() {
        Instant t0 = Instant.parse("2026-11-22T03:50:00Z");
        StateMetrics.register(registry, health, config, Clock.fixed(t0.plusSeconds(90), ZoneOffset.UTC));
        assertThat(gauge("relay.drain.elapsed")).isZero();
        health.draining(t0);
        assertThat(gauge("relay.drain.elapsed")).isEqualTo(90);
        assertThat(gauge("relay.drain.timeout")).isEqualTo(300);
        assertThat(gauge("relay.readiness", "status", "DRAINING")).isEqualTo(1);
    }

    @Test
    void aRejectedOperatorsFileShowsUntilAGoodOneIsLoaded() {
        StateMetrics.register(registry, health, config);
        assertThat(gauge("relay.operators.file.rejected")).isZero();
        health.operators(true, 1, "operators.yaml: 1 problem(s)");
        assertThat(gauge("relay.operators.file.rejected")).isEqualTo(1);
        health.operators(true, 2, null);
        assertThat(gauge("relay.operators.file.rejected")).isZero();
    }

    @Test
    void theDirectorysLogUnreachableIsNotAnOperatorsFileRejected() {
        StateMetrics.register(registry, health, config);
        health.operators(
                true,
                3,
                "directory log 10.0.0.5:9092 unreachable since 2026-11-22T03:50:00Z",
                RecentEvents.Source.DIRECTORY);
        assertThat(gauge("relay.operators.file.rejected")).isZero();
        assertThat(health.operatorsError()).startsWith("directory log");
    }

    @Test
    void theConnectionLimitAndTheVersionAreExported() {
        StateMetrics.register(registry, health, config);
        assertThat(gauge("relay.connections.max")).isEqualTo(5000);
        assertThat(registry.get("relay.build.info").gauge().getId().getTag("version"))
                .isNotBlank();
    }
}
