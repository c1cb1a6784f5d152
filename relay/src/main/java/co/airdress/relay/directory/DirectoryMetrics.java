package co.airdress.relay.directory;

import co.airdress.relay.health.DirectoryStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The meters of a directory read from its log (relay/README.md, "Metrics"): records applied and
 * rejected by reason, lag, age of the last applied record, offset, state, snapshot writes and
 * loads, the admin API's writes through the log and their time to be applied here, compensations.
 */
final class DirectoryMetrics {

    enum Method {
        PUT,
        DELETE
    }

    enum WriteResult {
        APPLIED,
        REJECTED,
        UNAVAILABLE
    }

    private final Counter applied;
    private final Map<DirectoryRecord.Reason, Counter> rejected = new EnumMap<>(DirectoryRecord.Reason.class);
    private final Counter snapshotOk;
    private final Counter snapshotError;
    private final Counter snapshotLoadOk;
    private final Counter snapshotLoadCorrupt;
    private final Counter compensationsSent;
    private final Counter compensationsFailed;
    private final Map<Method, Map<WriteResult, Counter>> writes = new EnumMap<>(Method.class);
    private final Timer writeTime;

    DirectoryMetrics(MeterRegistry registry, KafkaDirectorySource source) {
        applied = records(registry, "applied", "none");
        for (DirectoryRecord.Reason reason : DirectoryRecord.Reason.values()) {
            rejected.put(reason, records(registry, "rejected", reason.label));
        }
        gauge(
                registry,
                "relay.directory.lag.records",
                "Records of the log not applied yet (NaN when unknown)",
                source,
                s -> {
                    long lag = s.lag();
                    return lag < 0 ? Double.NaN : lag;
                });
        Gauge.builder("relay.directory.last.applied.age", source, KafkaDirectorySource::lastAppliedAgeSeconds)
                .description("Seconds since a record of the log was last applied (since start when none was)")
                .baseUnit("seconds")
                .register(registry);
        gauge(
                registry,
                "relay.directory.offset",
                "Offset of the last record of the log applied (-1: none)",
                source,
                s -> s.offset());
        for (DirectoryStatus.State state : DirectoryStatus.State.values()) {
            Gauge.builder("relay.directory.state", source, s -> s.state() == state ? 1 : 0)
                    .description("1 for the directory's state (up, stale, down), 0 for the others")
                    .tag("state", state.label())
                    .register(registry);
        }
        snapshotOk = snapshotWrites(registry, "ok");
        snapshotError = snapshotWrites(registry, "error");
        snapshotLoadOk = snapshotLoads(registry, "ok");
        snapshotLoadCorrupt = snapshotLoads(registry, "corrupt");
        compensationsSent = compensations(registry, "sent");
        compensationsFailed = compensations(registry, "failed");
        for (Method m : Method.values()) {
            Map<WriteResult, Counter> byResult = new EnumMap<>(WriteResult.class);
            for (WriteResult r : WriteResult.values()) {
                byResult.put(
                        r,
                        Counter.builder("relay.directory.writes")
                                .description("Admin API changes written through the log, by outcome")
                                .tag("method", m.name().toLowerCase(java.util.Locale.ROOT))
                                .tag("result", r.name().toLowerCase(java.util.Locale.ROOT))
                                .register(registry));
            }
            writes.put(m, byResult);
        }
        writeTime = Timer.builder("relay.directory.write")
                .description("Time from an admin API write to its record applied (or rejected) by this PoP")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    private static Counter records(MeterRegistry registry, String result, String reason) {
        return Counter.builder("relay.directory.records")
                .description("Records of the log applied, and rejected by reason")
                .tag("result", result)
                .tag("reason", reason)
                .register(registry);
    }

    private static Counter snapshotWrites(MeterRegistry registry, String result) {
        return Counter.builder("relay.directory.snapshot.writes")
                .description("Writes of the directory's snapshot file by result")
                .tag("result", result)
                .register(registry);
    }

    private static Counter snapshotLoads(MeterRegistry registry, String result) {
        return Counter.builder("relay.directory.snapshot.loads")
                .description("Snapshot files read at start because the log was unreachable, by result")
                .tag("result", result)
                .register(registry);
    }

    private static Counter compensations(MeterRegistry registry, String result) {
        return Counter.builder("relay.directory.compensations")
                .description("Compensating records written after this PoP's own write was rejected by the log")
                .tag("result", result)
                .register(registry);
    }

    private static void gauge(
            MeterRegistry registry,
            String name,
            String description,
            KafkaDirectorySource source,
            ToDoubleFunction<KafkaDirectorySource> value) {
        Gauge.builder(name, source, value).description(description).register(registry);
    }

    void applied() {
        applied.increment();
    }

    void rejected(DirectoryRecord.Reason reason) {
        rejected.get(reason).increment();
    }

    void snapshotWritten(boolean ok) {
        (ok ? snapshotOk : snapshotError).increment();
    }

    void snapshotLoaded(boolean ok) {
        (ok ? snapshotLoadOk : snapshotLoadCorrupt).increment();
    }

    void compensation(boolean sent) {
        (sent ? compensationsSent : compensationsFailed).increment();
    }

    void write(Method method, WriteResult result, long nanos) {
        writes.get(method).get(result).increment();
        if (result != WriteResult.UNAVAILABLE) {
            writeTime.record(Duration.ofNanos(nanos));
        }
    }
}
