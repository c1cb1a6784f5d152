package co.airdress.relay.backhaul;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.directory.DirectoryAdmin;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.KafkaBroker;
import co.airdress.relay.tunnel.WireGuardKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** PoPs find each other through a real broker's compacted topic, and a tombstone removes one. */
class PopAnnouncementsKafkaTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static PopAnnouncement pop(String name, int n) throws Exception {
        byte[] key = new byte[32];
        key[0] = (byte) n;
        return new PopAnnouncement(
                name,
                WireGuardKey.of(key),
                List.of(InetAddress.getByName("100.127.0." + n)),
                new InetSocketAddress("203.0.113." + n, 51821));
    }

    @Test
    void popsSeeEachOtherAndAPopAddedLaterWithoutChangingTheOthers() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = "pops-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        DirectoryConfig.Kafka kafka = new DirectoryConfig.Kafka(broker.bootstrapServers(), topic);
        assertThat(DirectoryAdmin.createTopic(kafka, Optional.empty(), Optional.empty()))
                .isInstanceOf(DirectoryAdmin.Created.Done.class);

        PopTable tableA = new PopTable("pop-a", 8);
        PopTable tableB = new PopTable("pop-b", 8);
        AtomicInteger changesA = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PopAnnouncements a = new PopAnnouncements(
                        kafka, topic, pop("pop-a", 1), tableA, t -> changesA.incrementAndGet(), registry);
                PopAnnouncements b = new PopAnnouncements(
                        kafka, topic, pop("pop-b", 2), tableB, t -> {}, new SimpleMeterRegistry())) {
            a.start();
            b.start();
            Await.until(WAIT, "pop-a knows pop-b", () -> tableA.pop("pop-b") != null);
            Await.until(WAIT, "pop-b knows pop-a", () -> tableB.pop("pop-a") != null);
            assertThat(tableA.pop("pop-b")).isEqualTo(pop("pop-b", 2));
            assertThat(changesA.get()).isGreaterThanOrEqualTo(1);

            try (PopAnnouncements c = new PopAnnouncements(
                    kafka, topic, pop("pop-c", 3), new PopTable("pop-c", 8), t -> {}, new SimpleMeterRegistry())) {
                c.start();
                Await.until(WAIT, "pop-a knows pop-c", () -> tableA.pop("pop-c") != null);
                Await.until(WAIT, "pop-b knows pop-c", () -> tableB.pop("pop-c") != null);
            }

            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
                producer.send(new ProducerRecord<>(topic, 0, "pop-c".getBytes(StandardCharsets.UTF_8), null))
                        .get();
                producer.send(new ProducerRecord<>(
                                topic,
                                0,
                                "pop-x".getBytes(StandardCharsets.UTF_8),
                                "{}".getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
            Await.until(WAIT, "pop-a forgets pop-c", () -> tableA.pop("pop-c") == null);
            Await.until(
                    WAIT,
                    "the invalid record counted",
                    () -> registry.get("relay.backhaul.announcements")
                                    .tags("result", "invalid")
                                    .counter()
                                    .count()
                            == 1);
            assertThat(registry.get("relay.backhaul.pops").gauge().value()).isEqualTo(1);
            assertThat(Map.of(
                            "self",
                            registry.get("relay.backhaul.announcements")
                                    .tags("result", "self")
                                    .counter()
                                    .count()))
                    .containsEntry("self", 1.0);
        }
    }
}
