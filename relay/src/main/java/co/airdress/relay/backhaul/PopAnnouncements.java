package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.directory.KafkaClientProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PoPs topic: this PoP writes its own announcement under its name (again after a failure, every
 * {@link #RETRY}), and one thread reads partition 0 from the beginning and follows it (assigned, no
 * consumer group, like the directory's log), applying every record to the {@link PopTable} and
 * handing the mesh its new peers after each batch that changed it.
 */
public final class PopAnnouncements implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PopAnnouncements.class);
    static final Duration RETRY = Duration.ofSeconds(5);

    private final DirectoryConfig.Kafka kafka;
    private final String topic;
    private final PopAnnouncement own;
    private final PopTable table;
    private final Consumer<PopTable> onChange;
    private final Map<PopTable.Change, Counter> applied = new EnumMap<>(PopTable.Change.class);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param kafka the directory's log (its brokers and client properties)
     * @param topic {@code backhaul.topic}
     * @param onChange called on the reading thread after each batch of records that changed the table
     */
    public PopAnnouncements(
            DirectoryConfig.Kafka kafka,
            String topic,
            PopAnnouncement own,
            PopTable table,
            Consumer<PopTable> onChange,
            MeterRegistry registry) {
        this.kafka = requireNonNull(kafka, "kafka");
        this.topic = requireNonNull(topic, "topic");
        this.own = requireNonNull(own, "own");
        this.table = requireNonNull(table, "table");
        this.onChange = requireNonNull(onChange, "onChange");
        for (PopTable.Change c : PopTable.Change.values()) {
            applied.put(
                    c,
                    Counter.builder("relay.backhaul.announcements")
                            .description("PoPs topic records applied, by result")
                            .tag("result", c.name().toLowerCase(java.util.Locale.ROOT))
                            .register(registry));
        }
        Gauge.builder("relay.backhaul.pops", table, PopTable::size)
                .description("PoPs in the mesh now, this one excluded")
                .register(registry);
        this.consumer = new KafkaConsumer<>(consumer(kafka, "airdress-pops-" + own.name()));
        this.thread = Thread.ofPlatform().daemon().name("backhaul-pops").unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        boolean announced = false;
        long nextAnnounce = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(KafkaClientProperties.producer(kafka, "airdress-pops-" + own.name()))) {
            TopicPartition p = new TopicPartition(topic, 0);
            consumer.assign(List.of(p));
            consumer.seekToBeginning(List.of(p));
            while (!closed) {
                if (!announced && System.nanoTime() - nextAnnounce >= 0) {
                    try {
                        producer.send(new ProducerRecord<>(
                                        topic, 0, own.name().getBytes(StandardCharsets.UTF_8), own.toJson()))
                                .get();
                        announced = true;
                        log.info(
                                "announced {} on {} (mesh {}, endpoint {})",
                                own.name(),
                                topic,
                                own.addresses(),
                                own.endpoint());
                    } catch (java.util.concurrent.ExecutionException e) {
                        log.warn(
                                "announcing {} on {} failed (again in {} s): {}",
                                own.name(),
                                topic,
                                RETRY.toSeconds(),
                                e.getCause().toString());
                        nextAnnounce = System.nanoTime() + RETRY.toNanos();
                    }
                }
                boolean changed = false;
                try {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.key() == null) {
                            applied.get(PopTable.Change.INVALID).increment();
                            continue;
                        }
                        String name = new String(r.key(), StandardCharsets.UTF_8);
                        PopTable.Change c = table.apply(name, r.value());
                        applied.get(c).increment();
                        switch (c) {
                            case ADDED, UPDATED, REMOVED -> {
                                changed = true;
                                log.info(
                                        "PoP {} {} (offset {})",
                                        name,
                                        c.name().toLowerCase(java.util.Locale.ROOT),
                                        r.offset());
                            }
                            case FULL -> log.warn("PoP {} refused: the mesh has max_pops PoPs already", name);
                            case INVALID ->
                                log.warn(
                                        "PoPs topic record {} at offset {} ignored: not a valid announcement",
                                        name,
                                        r.offset());
                            default -> {}
                        }
                    }
                } catch (WakeupException e) {
                    if (closed) {
                        return;
                    }
                } catch (org.apache.kafka.common.KafkaException e) {
                    log.warn("reading {} failed (retrying): {}", topic, e.toString());
                    Thread.sleep(RETRY.toMillis());
                }
                if (changed) {
                    onChange.accept(table);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("the PoPs topic reader stopped", e);
            }
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
        }
    }

    /**
     * The directory's consumer settings (docs/directory.md), except that an offset out of range
     * (compaction removed it) starts over from the earliest: this topic is re-read whole anyway.
     */
    private static Properties consumer(DirectoryConfig.Kafka kafka, String clientId) {
        Properties p = KafkaClientProperties.consumer(kafka, clientId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return p;
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
