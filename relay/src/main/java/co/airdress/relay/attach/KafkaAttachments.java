package co.airdress.relay.attach;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.directory.KafkaClientProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attachments of a network of PoPs, read from and written to their topic (docs/directory.md,
 * "Attachments"). A thread of its own reads partition 0 of the compacted topic from the beginning
 * (assigned, no consumer group) and applies every record to {@link #attachments()}; a record that
 * is not valid is logged with its offset, counted and skipped. A missing or unreachable topic is
 * logged and retried: the PoP keeps serving its own operators meanwhile.
 *
 * <p>This PoP's own handshakes enter through {@link #publishLocal}, which never blocks: the
 * attachment is in force here at once and queued for the topic ({@link AttachmentPublisher}).
 *
 * <p>When one of this PoP's records reaches the topic after a newer attachment of the same operator
 * (its handshake lost to a newer one on another PoP), the PoP publishes the winner again, so that
 * the last record of the key, the one compaction keeps, is the attachment in force.
 */
public final class KafkaAttachments implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaAttachments.class);

    private static final Duration POLL_WAIT = Duration.ofMillis(500);

    private final DirectoryConfig.Kafka kafka;
    private final String pop;
    private final Attachments attachments = new Attachments();
    private final AttachmentMetrics metrics;
    private final AttachmentPublisher publisher;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition partition;
    private final Instant started = Instant.now();
    private final Thread reader;

    private volatile boolean reading;
    private volatile boolean closed;
    // The reader thread only.
    private @Nullable String lastProblem;

    /**
     * A reader and publisher of {@code kafka}'s attachments topic for the PoP {@code pop}; call
     * {@link #start} to begin reading.
     */
    public KafkaAttachments(DirectoryConfig.Kafka kafka, String pop, MeterRegistry registry) {
        this(kafka, pop, registry, AttachmentPublisher.DEFAULT_CAPACITY);
    }

    KafkaAttachments(DirectoryConfig.Kafka kafka, String pop, MeterRegistry registry, int queueCapacity) {
        this.kafka = requireNonNull(kafka, "kafka");
        this.pop = requireNonNull(pop, "pop");
        requireNonNull(registry, "registry");
        this.metrics = new AttachmentMetrics(registry, attachments, () -> reading);
        this.partition = new TopicPartition(kafka.attachmentsTopic(), 0);
        this.consumer = new KafkaConsumer<>(
                KafkaClientProperties.consumer(kafka.attachments(), "airdress-relay-" + pop + "-attachments-reader"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.publisher =
                new AttachmentPublisher(kafka, "airdress-relay-" + pop + "-attachments-writer", metrics, queueCapacity);
        this.reader = new Thread(this::run, "relay-attachments-log");
        reader.setDaemon(true);
    }

    /** Starts reading the topic; returns at once. */
    public void start() {
        reader.start();
    }

    /** The attachments known here: look-ups by operator and by receiver index. */
    public Attachments attachments() {
        return attachments;
    }

    /** This PoP's name: an attachment whose {@code pop} is this one is local. */
    public String pop() {
        return pop;
    }

    /** Whether the topic is being read (false while it is missing or unreachable). */
    public boolean reading() {
        return reading;
    }

    /**
     * Records that this PoP completed a handshake with {@code operator} at {@code at}, issuing
     * {@code receiverIndexes}, the operator's outer address being {@code endpoint}. Never blocks:
     * the attachment is in force here at once and queued for the topic (a newer one of the same
     * operator replaces it while it waits; when the queue is full it is dropped and counted).
     *
     * @return false when the attachment was not queued for the topic
     * @throws IllegalArgumentException when {@code operator} is not an operator's name, when there
     *     are more than {@link Attachment#MAX_RECEIVER_INDEXES} indexes or {@code endpoint} is not an
     *     IP address and port
     */
    public boolean publishLocal(String operator, int[] receiverIndexes, InetSocketAddress endpoint, Instant at) {
        requireNonNull(operator, "operator");
        requireNonNull(endpoint, "endpoint");
        if (!NameRule.matches(operator)) {
            throw new IllegalArgumentException(
                    "operator: " + AttachmentRecord.show(operator) + " (expected: " + NameRule.EXPECTATION + ")");
        }
        if (endpoint.isUnresolved() || endpoint.getPort() == 0) {
            throw new IllegalArgumentException("endpoint: " + endpoint + " (expected: an IP address and a port)");
        }
        Attachment attachment = new Attachment(operator, pop, requireNonNull(at, "at"), receiverIndexes, endpoint);
        attachments.put(attachment);
        return publisher.offer(attachment);
    }

    // ---- the reader thread ----

    private void run() {
        boolean assigned = false;
        while (!closed) {
            try {
                if (!assigned) {
                    assigned = assign();
                    if (!assigned) {
                        pause();
                    }
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL_WAIT).records(partition)) {
                    apply(AttachmentRecord.of(r));
                }
                if (!reading) {
                    recovered();
                }
            } catch (WakeupException e) {
                // close()
            } catch (InvalidOffsetException e) {
                log.warn(
                        "attachments topic {}: {}; reading it again from the beginning",
                        kafka.attachmentsTopic(),
                        e.getMessage());
                assigned = false;
            } catch (KafkaException e) {
                problem("unreachable (" + e + "); retrying every "
                        + kafka.probeInterval().toMillis() + " ms");
                pause();
            } catch (RuntimeException e) {
                log.error("attachments topic {}: unexpected failure, retrying", kafka.attachmentsTopic(), e);
                reading = false;
                pause();
            }
        }
    }

    /** Assigns partition 0 and reads from the beginning once the topic exists. */
    private boolean assign() {
        List<PartitionInfo> partitions = consumer.partitionsFor(kafka.attachmentsTopic(), kafka.requestTimeout());
        if (partitions == null || partitions.isEmpty()) {
            problem("directory.kafka.attachments_topic: \"" + kafka.attachmentsTopic() + "\" does not exist at "
                    + kafka.bootstrapServers() + " (expected: the attachments' topic; create it with `bin/relay "
                    + "directory create-topic --config FILE`); no attachments of other PoPs until it does");
            return false;
        }
        if (partitions.size() != 1) {
            problem("directory.kafka.attachments_topic: \"" + kafka.attachmentsTopic() + "\" has " + partitions.size()
                    + " partitions (expected: exactly 1; docs/directory.md); not read");
            return false;
        }
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        return true;
    }

    private void apply(AttachmentRecord record) {
        switch (attachments.apply(record)) {
            case Attachments.Outcome.Applied a -> metrics.applied();
            case Attachments.Outcome.Stale s -> {
                metrics.stale();
                Attachment ignored = s.ignored();
                if (ignored.pop().equals(pop) && !ignored.since().isBefore(started)) {
                    log.info(
                            "attachments topic {} offset {}: this PoP's attachment of {} (since {}) lost to {}'s (since"
                                    + " {}); publishing the winner again so that compaction keeps it",
                            kafka.attachmentsTopic(),
                            record.offset(),
                            ignored.operator(),
                            ignored.since(),
                            s.inForce().pop(),
                            s.inForce().since());
                    publisher.offer(s.inForce());
                }
            }
            case Attachments.Outcome.Rejected r -> {
                metrics.rejected(r.reason());
                log.warn(
                        "attachments topic {} offset {} key {}: record rejected ({}): {}",
                        kafka.attachmentsTopic(),
                        record.offset(),
                        record.keyText(),
                        r.reason().label,
                        r.message());
            }
        }
    }

    /** Logs a problem reading the topic once, until it changes or goes away. */
    private void problem(String message) {
        reading = false;
        if (!message.equals(lastProblem)) {
            lastProblem = message;
            log.error("attachments topic {}: {}", kafka.attachmentsTopic(), message);
        }
    }

    private void recovered() {
        reading = true;
        if (lastProblem != null) {
            log.info("attachments topic {} is read again", kafka.attachmentsTopic());
            lastProblem = null;
        } else {
            log.info("attachments topic {} is read", kafka.attachmentsTopic());
        }
    }

    private void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(Math.max(100, kafka.probeInterval().toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    @Override
    public void close() {
        closed = true;
        if (reader.isAlive()) {
            consumer.wakeup();
            try {
                reader.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        publisher.close();
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
}
