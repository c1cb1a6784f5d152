package co.airdress.relay.attach;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The meters of the attachments (relay/README.md, "Metrics"): records of the topic applied, stale
 * and rejected by reason; this PoP's own attachments published, failed, coalesced and dropped;
 * operators with an attachment; whether the topic is being read.
 */
final class AttachmentMetrics {

    /** What became of one of this PoP's attachments handed to the publisher. */
    enum Publish {
        /** Acknowledged by the log (acks=all). */
        PUBLISHED,
        /** The log did not take it within {@code write_timeout}. */
        FAILED,
        /** Replaced in the queue by a newer attachment of the same operator before it was sent. */
        COALESCED,
        /** The queue was full of other operators: not published. */
        DROPPED;

        final String label = name().toLowerCase(java.util.Locale.ROOT);
    }

    private final Counter applied;
    private final Counter stale;
    private final Map<AttachmentRecord.Reason, Counter> rejected = new EnumMap<>(AttachmentRecord.Reason.class);
    private final Map<Publish, Counter> publish = new EnumMap<>(Publish.class);

    AttachmentMetrics(MeterRegistry registry, Attachments attachments, BooleanSupplier reading) {
        applied = records(registry, "applied", "none");
        stale = records(registry, "stale", "none");
        for (AttachmentRecord.Reason reason : AttachmentRecord.Reason.values()) {
            rejected.put(reason, records(registry, "rejected", reason.label));
        }
        for (Publish p : Publish.values()) {
            publish.put(
                    p,
                    Counter.builder("relay.attachments.publish")
                            .description("This PoP's attachments (completed handshakes) handed to the log, by outcome")
                            .tag("result", p.label)
                            .register(registry));
        }
        Gauge.builder("relay.attachments.operators", attachments, Attachments::size)
                .description("Operators with an attachment in force (attached to this PoP or another)")
                .register(registry);
        Gauge.builder("relay.attachments.log.up", reading, r -> r.getAsBoolean() ? 1 : 0)
                .description("1 while the attachments' topic is being read, 0 while it is missing or unreachable")
                // The supplier is a lambda nobody else holds: a weak reference would lose it.
                .strongReference(true)
                .register(registry);
    }

    private static Counter records(MeterRegistry registry, String result, String reason) {
        return Counter.builder("relay.attachments.records")
                .description(
                        "Records of the attachments' topic applied, stale (an older handshake), rejected by reason")
                .tag("result", result)
                .tag("reason", reason)
                .register(registry);
    }

    void applied() {
        applied.increment();
    }

    void stale() {
        stale.increment();
    }

    void rejected(AttachmentRecord.Reason reason) {
        rejected.get(reason).increment();
    }

    void publish(Publish result) {
        publish.get(result).increment();
    }
}
