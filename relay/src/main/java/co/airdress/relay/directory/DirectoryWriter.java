package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.DirectoryConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Writes records to the directory's log: an idempotent producer, {@code acks=all}, no lingering
 * ({@link KafkaClientProperties#producer}). {@link KafkaProducer#send} blocks while it has no
 * metadata (a broker unreachable since start), up to the write timeout: it is called on a thread
 * of its own so that nothing else waits on it.
 */
final class DirectoryWriter implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final ExecutorService sender;

    DirectoryWriter(DirectoryConfig.Kafka config, String clientId) {
        requireNonNull(config, "config");
        this.producer = new KafkaProducer<>(KafkaClientProperties.producer(config, clientId));
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "relay-directory-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Completes with where the record was written, or with why it was not (e.g. a timeout). */
    CompletableFuture<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
        requireNonNull(record, "record");
        CompletableFuture<RecordMetadata> written = new CompletableFuture<>();
        try {
            sender.execute(() -> {
                try {
                    producer.send(record, (metadata, failure) -> {
                        if (failure != null) {
                            written.completeExceptionally(failure);
                        } else {
                            written.complete(metadata);
                        }
                    });
                } catch (RuntimeException e) {
                    written.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            written.completeExceptionally(e);
        }
        return written;
    }

    /** Waits until every record sent so far is acknowledged or failed. */
    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        sender.shutdown();
        producer.close(Duration.ofSeconds(2));
    }
}
