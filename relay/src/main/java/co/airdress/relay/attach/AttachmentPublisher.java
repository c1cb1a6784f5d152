package co.airdress.relay.attach;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.directory.KafkaClientProperties;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends this PoP's attachments to the topic without ever making the caller wait: {@link #offer}
 * puts the attachment in a bounded queue that keeps one entry per operator (a newer attachment of
 * the same operator replaces the one waiting), and a thread of its own hands the queue to an
 * idempotent {@code acks=all} producer. A burst of handshakes costs at most one record per
 * operator; when the queue holds {@code capacity} other operators, the attachment is dropped and
 * counted.
 */
final class AttachmentPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AttachmentPublisher.class);

    /** Operators whose attachment may wait at once. */
    static final int DEFAULT_CAPACITY = 4096;

    private final String topic;
    private final Producer<byte[], byte[]> producer;
    private final AttachmentMetrics metrics;
    private final int capacity;
    private final Thread sender;

    // Guarded by itself.
    private final LinkedHashMap<String, Attachment> queue = new LinkedHashMap<>();
    private boolean closed;
    // The producer's callbacks: the last failure was logged, the next success is too.
    private volatile boolean failing;

    AttachmentPublisher(DirectoryConfig.Kafka kafka, String clientId, AttachmentMetrics metrics, int capacity) {
        requireNonNull(kafka, "kafka");
        this.topic = kafka.attachmentsTopic();
        this.metrics = requireNonNull(metrics, "metrics");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: at least 1)");
        }
        this.capacity = capacity;
        this.producer = new KafkaProducer<>(
                KafkaClientProperties.producer(kafka.attachments(), clientId),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        this.sender = new Thread(this::run, "relay-attachments-publisher");
        sender.setDaemon(true);
        sender.start();
    }

    /** Queues {@code attachment}; false when it was dropped (the queue full of other operators, or closed). */
    boolean offer(Attachment attachment) {
        requireNonNull(attachment, "attachment");
        synchronized (queue) {
            if (closed) {
                metrics.publish(AttachmentMetrics.Publish.DROPPED);
                return false;
            }
            Attachment waiting = queue.get(attachment.operator());
            if (waiting == null && queue.size() >= capacity) {
                metrics.publish(AttachmentMetrics.Publish.DROPPED);
                return false;
            }
            if (waiting != null) {
                metrics.publish(AttachmentMetrics.Publish.COALESCED);
            }
            queue.put(attachment.operator(), attachment);
            queue.notifyAll();
            return true;
        }
    }

    /** Attachments waiting to be sent. */
    int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    private void run() {
        while (true) {
            Attachment next;
            synchronized (queue) {
                while (queue.isEmpty() && !closed) {
                    try {
                        queue.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return; // closed and drained
                }
                Iterator<Map.Entry<String, Attachment>> first = queue.entrySet().iterator();
                next = first.next().getValue();
                first.remove();
            }
            send(next);
        }
    }

    private void send(Attachment attachment) {
        try {
            // Blocks this thread only, at most write_timeout, while the log's metadata is unknown.
            producer.send(AttachmentRecord.put(topic, attachment), (metadata, failure) -> sent(attachment, failure));
        } catch (KafkaException e) {
            sent(attachment, e);
        }
    }

    private void sent(Attachment attachment, @Nullable Exception failure) {
        if (failure == null) {
            metrics.publish(AttachmentMetrics.Publish.PUBLISHED);
            if (failing) {
                failing = false;
                log.info("attachments topic {} takes this PoP's attachments again", topic);
            }
            return;
        }
        metrics.publish(AttachmentMetrics.Publish.FAILED);
        // One line per outage at warn, the others at debug: a dead log must not flood the log file.
        if (!failing) {
            failing = true;
            log.warn(
                    "attachments topic {}: cannot publish the attachment of {} to this PoP: {}",
                    topic,
                    attachment.operator(),
                    failure.toString());
        } else {
            log.debug("attachments topic {}: cannot publish {}: {}", topic, attachment, failure.toString());
        }
    }

    @Override
    public void close() {
        synchronized (queue) {
            closed = true;
            queue.notifyAll();
        }
        try {
            sender.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
