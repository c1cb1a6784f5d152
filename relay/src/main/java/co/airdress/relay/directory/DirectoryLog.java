package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.DirectoryConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The directory's log as a PoP reads it: partition 0 of the topic, assigned (no consumer group,
 * so no rebalance ever pauses it) and read from the beginning. A thin layer over one
 * {@link KafkaConsumer}: like it, used by one thread at a time.
 */
final class DirectoryLog implements AutoCloseable {

    /** What the broker says of the topic. */
    sealed interface Topic {
        record Ready() implements Topic {}

        record Missing(String message) implements Topic {}

        record TooManyPartitions(int partitions, String message) implements Topic {}

        record Unreachable(String message) implements Topic {}
    }

    private final DirectoryConfig.Kafka config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition partition;

    DirectoryLog(DirectoryConfig.Kafka config, String clientId) {
        this.config = requireNonNull(config, "config");
        this.consumer = new KafkaConsumer<>(KafkaClientProperties.consumer(config, clientId));
        this.partition = new TopicPartition(config.topic(), 0);
    }

    String topic() {
        return config.topic();
    }

    /** Asks the broker about the topic, waiting at most {@code timeout}. */
    Topic describe(Duration timeout) {
        List<PartitionInfo> partitions;
        try {
            partitions = consumer.partitionsFor(config.topic(), timeout);
        } catch (UnknownTopicOrPartitionException e) {
            partitions = List.of();
        } catch (TimeoutException e) {
            return new Topic.Unreachable(
                    "no answer from " + config.bootstrapServers() + " within " + timeout.toMillis() + " ms");
        } catch (WakeupException e) {
            throw e; // closing
        } catch (KafkaException e) {
            return new Topic.Unreachable(config.bootstrapServers() + ": " + e);
        }
        if (partitions == null || partitions.isEmpty()) {
            return new Topic.Missing(missing(config));
        }
        if (partitions.size() != 1) {
            return new Topic.TooManyPartitions(
                    partitions.size(),
                    "directory.kafka.topic: \"" + config.topic() + "\" has " + partitions.size()
                            + " partitions (expected: exactly 1, so that every PoP applies the directory's records in"
                            + " one order; docs/directory.md)");
        }
        return new Topic.Ready();
    }

    /** The message naming the command that creates the topic. */
    static String missing(DirectoryConfig.Kafka config) {
        return "directory.kafka.topic: \"" + config.topic() + "\" does not exist at " + config.bootstrapServers()
                + " (expected: the directory's topic; create it with `bin/relay directory create-topic --config FILE`)";
    }

    /** Reads from the first record the log still holds. */
    void seekToBeginning() {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /** The offset the next record appended will have, asked of the broker within {@code timeout}. */
    long endOffset(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(List.of(partition), timeout);
        Long offset = end.get(partition);
        if (offset == null) {
            throw new UnknownTopicOrPartitionException(missing(config));
        }
        return offset;
    }

    /** The offset of the next record to read. */
    long position(Duration timeout) {
        return consumer.position(partition, timeout);
    }

    /** Records after the position, waiting at most {@code timeout} when there are none. */
    List<DirectoryRecord> poll(Duration timeout) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
        if (records.isEmpty()) {
            return List.of();
        }
        List<DirectoryRecord> list = new java.util.ArrayList<>(records.count());
        for (ConsumerRecord<byte[], byte[]> r : records.records(partition)) {
            list.add(DirectoryRecord.of(r));
        }
        return list;
    }

    /** Records between the position and the log's end as of the last fetch, or -1 when not known. */
    long currentLag() {
        return consumer.currentLag(partition).orElse(-1);
    }

    /**
     * Reads from the beginning to the end offset seen when it started, giving each record to
     * {@code sink} in offset order; a poll that brings nothing for {@code stall} (the log went
     * away) throws {@link TimeoutException}.
     */
    void readToEnd(Consumer<DirectoryRecord> sink, Duration stall) {
        seekToBeginning();
        long end = endOffset(config.requestTimeout());
        long position = position(config.requestTimeout());
        long lastProgress = System.nanoTime();
        while (position < end) {
            List<DirectoryRecord> records = poll(Duration.ofMillis(200));
            if (records.isEmpty()) {
                position = position(config.requestTimeout());
                if (System.nanoTime() - lastProgress > stall.toNanos()) {
                    throw new TimeoutException("reading " + config.topic() + " stalled at offset " + position + " of "
                            + end + " for " + stall.toMillis() + " ms");
                }
                continue;
            }
            lastProgress = System.nanoTime();
            for (DirectoryRecord r : records) {
                sink.accept(r);
            }
            position = position(config.requestTimeout());
        }
    }

    /** Makes a {@link #poll} in progress on another thread return at once (it throws {@code WakeupException}). */
    void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
    }
}
