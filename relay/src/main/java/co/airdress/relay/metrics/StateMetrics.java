package co.airdress.relay.metrics;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.RelayVersion;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.Readiness;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The PoP's state as gauges, read when scraped (what alerts need and /readyz shows only as JSON):
 * {@code relay_readiness{status}} (1 for the word /readyz answers with, 0 for the others),
 * {@code relay_drain_elapsed_seconds} (0 until a drain starts) against
 * {@code relay_drain_timeout_seconds}, {@code relay_operators_file_rejected} (1 while the last reload
 * of the operators file was rejected), {@code relay_connections_max} ({@code limits.max_connections}),
 * and {@code relay_build_info{version}} (always 1).
 */
public final class StateMetrics {

    private StateMetrics() {}

    public static void register(MeterRegistry registry, HealthState health, RelayConfig config) {
        register(registry, health, config, Clock.systemUTC());
    }

    static void register(MeterRegistry registry, HealthState health, RelayConfig config, Clock clock) {
        requireNonNull(registry, "registry");
        requireNonNull(health, "health");
        requireNonNull(config, "config");
        requireNonNull(clock, "clock");
        for (Readiness r : Readiness.values()) {
            Gauge.builder("relay.readiness", health, h -> h.readiness() == r ? 1 : 0)
                    .description("1 for the status /readyz answers with (UP, DRAINING, DOWN), 0 for the others")
                    .tag("status", r.name())
                    .register(registry);
        }
        Gauge.builder("relay.drain.elapsed", health, h -> {
                    Instant since = h.drainStartedAt();
                    return since == null
                            ? 0
                            : Duration.between(since, clock.instant()).toMillis() / 1000.0;
                })
                .baseUnit("seconds")
                .description("Time since the drain started (0 while not draining)")
                .register(registry);
        Gauge.builder("relay.drain.timeout", config.drain(), d -> d.timeout().toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("drain.timeout: a drain closes the remaining connections and exits by then")
                .register(registry);
        Gauge.builder("relay.operators.file.rejected", health, h -> h.operatorsFileRejected() ? 1 : 0)
                .description("1 while the operators file's last reload was rejected (invalid or unreadable; the"
                        + " previous route table stays in force)")
                .register(registry);
        Gauge.builder("relay.connections.max", config.limits(), RelayConfig.Limits::maxConnections)
                .description("limits.max_connections: open client connections allowed, all listeners")
                .register(registry);
        Gauge.builder("relay.build.info", () -> 1)
                .description("Always 1; the version in its label")
                .tag("version", RelayVersion.current())
                .register(registry);
    }
}
