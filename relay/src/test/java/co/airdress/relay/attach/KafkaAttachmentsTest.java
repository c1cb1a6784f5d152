package co.airdress.relay.attach;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.directory.DirectoryAdmin;
import co.airdress.relay.management.Http;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.KafkaBroker;
import co.airdress.relay.testing.SecretFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Attachments shared by PoPs through a real Kafka broker (one shared by these tests, a topic each). */
class KafkaAttachmentsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TOKEN = "attachments-test-token";
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final InetSocketAddress OPERATOR = new InetSocketAddress("198.51.100.7", 40001);

    static KafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker() {
        broker = KafkaBroker.shared();
    }

    /** Fresh directory and attachments topics, made by {@code create-topic}'s code. */
    private static DirectoryConfig.Kafka topics(String prefix) {
        String suffix = "-" + ProcessHandle.current().pid() + "-" + TOPICS.incrementAndGet();
        DirectoryConfig.Kafka kafka = new DirectoryConfig.Kafka(
                        broker.bootstrapServers(),
                        prefix + "-operators" + suffix,
                        Map.of(),
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(3),
                        Duration.ofMillis(200))
                .withAttachmentsTopic(prefix + "-attachments" + suffix);
        for (DirectoryConfig.Kafka k : List.of(kafka, kafka.attachments())) {
            assertThat(DirectoryAdmin.createTopic(k, Optional.empty(), Optional.empty()))
                    .isInstanceOf(DirectoryAdmin.Created.Done.class);
        }
        return kafka;
    }

    private static KafkaAttachments start(DirectoryConfig.Kafka kafka, String pop, SimpleMeterRegistry registry) {
        KafkaAttachments a = new KafkaAttachments(kafka, pop, registry);
        a.start();
        return a;
    }

    private static boolean attachedTo(KafkaAttachments a, String operator, String pop) {
        Attachment at = a.attachments().attachment(operator);
        return at != null && at.pop().equals(pop);
    }

    private static double count(SimpleMeterRegistry registry, String name, String tag, String value) {
        var c = registry.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void twoPopsConvergeTheNewestHandshakeWinsAndIndexesFollowTheMove() {
        DirectoryConfig.Kafka kafka = topics("converge");
        SimpleMeterRegistry ra = new SimpleMeterRegistry();
        SimpleMeterRegistry rb = new SimpleMeterRegistry();
        try (KafkaAttachments a = start(kafka, "pop-a", ra);
                KafkaAttachments b = start(kafka, "pop-b", rb)) {
            // Handshakes after the PoPs started (a PoP puts back only the winners of its own records).
            Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).plusMillis(1);
            assertThat(a.publishLocal("demo", new int[] {11, 12}, OPERATOR, t0)).isTrue();
            // In force where it happened at once, on the other PoP through the log.
            assertThat(attachedTo(a, "demo", "pop-a")).isTrue();
            Await.until(WAIT, "pop-b learns demo is on pop-a", () -> attachedTo(b, "demo", "pop-a"));
            assertThat(b.attachments().operatorOf(11)).isEqualTo("demo");
            assertThat(b.attachments().attachment("demo").endpoint()).isEqualTo(OPERATOR);
            assertThat(b.attachments().attachment("demo").since()).isEqualTo(t0);

            // The operator's route moves: pop-b completes a newer handshake.
            assertThat(b.publishLocal("demo", new int[] {21}, OPERATOR, t0.plusSeconds(1)))
                    .isTrue();
            Await.until(WAIT, "pop-a learns demo moved to pop-b", () -> attachedTo(a, "demo", "pop-b"));
            for (KafkaAttachments p : List.of(a, b)) {
                assertThat(p.attachments().operatorOf(21)).isEqualTo("demo");
                assertThat(p.attachments().operatorOf(11)).isNull();
                assertThat(p.attachments().operatorOf(12)).isNull();
            }

            // A handshake older than the one in force loses on every PoP, and its publisher puts the
            // winner back as the key's last record (the one compaction keeps).
            assertThat(a.publishLocal("demo", new int[] {13}, OPERATOR, t0.plusMillis(500)))
                    .isTrue();
            Await.until(
                    WAIT,
                    "pop-b saw the stale record",
                    () -> count(rb, "relay.attachments.records", "result", "stale") >= 1);
            Await.until(WAIT, "the winner is the key's last record again", () -> {
                List<ConsumerRecord<byte[], byte[]>> all = records(kafka.attachmentsTopic());
                ConsumerRecord<byte[], byte[]> last = all.getLast();
                return text(last.value()).contains("\"pop\":\"pop-b\"");
            });
            assertThat(attachedTo(a, "demo", "pop-b")).isTrue();
            assertThat(attachedTo(b, "demo", "pop-b")).isTrue();
            assertThat(a.attachments().operatorOf(13)).isNull();

            // A PoP started later reads the whole topic and agrees.
            SimpleMeterRegistry rc = new SimpleMeterRegistry();
            try (KafkaAttachments c = start(kafka, "pop-c", rc)) {
                Await.until(WAIT, "pop-c reads demo on pop-b", () -> attachedTo(c, "demo", "pop-b"));
                assertThat(c.attachments().operatorOf(21)).isEqualTo("demo");
                assertThat(c.attachments().operatorOf(11)).isNull();
            }
            assertThat(count(ra, "relay.attachments.publish", "result", "published"))
                    .isGreaterThanOrEqualTo(2);
            assertThat(ra.find("relay.attachments.operators").gauge().value()).isEqualTo(1);
        }
    }

    @Test
    void anInvalidRecordIsCountedAndSkippedAndATombstoneForgets() throws Exception {
        DirectoryConfig.Kafka kafka = topics("invalid");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (KafkaAttachments a = start(kafka, "pop-a", registry);
                KafkaProducer<byte[], byte[]> raw = producer()) {
            raw.send(new ProducerRecord<>(
                            kafka.attachmentsTopic(),
                            0,
                            "demo".getBytes(StandardCharsets.UTF_8),
                            "{\"pop\":\"pop-x\"}".getBytes(StandardCharsets.UTF_8)))
                    .get();
            raw.send(AttachmentRecord.put(
                            kafka.attachmentsTopic(),
                            new Attachment("demo", "pop-x", Instant.now(), new int[] {5}, OPERATOR)))
                    .get();
            Await.until(WAIT, "the valid record after the invalid one applies", () -> attachedTo(a, "demo", "pop-x"));
            assertThat(count(registry, "relay.attachments.records", "reason", "invalid"))
                    .isEqualTo(1);
            assertThat(a.reading()).isTrue();

            raw.send(AttachmentRecord.delete(kafka.attachmentsTopic(), "demo")).get();
            Await.until(
                    WAIT, "the tombstone forgets demo", () -> a.attachments().attachment("demo") == null);
            assertThat(a.attachments().operatorOf(5)).isNull();
        }
    }

    @Test
    void aMissingTopicIsRetriedUntilItExists() {
        String suffix = "-" + ProcessHandle.current().pid() + "-" + TOPICS.incrementAndGet();
        DirectoryConfig.Kafka kafka = new DirectoryConfig.Kafka(
                        broker.bootstrapServers(),
                        "late-operators" + suffix,
                        Map.of(),
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(3),
                        Duration.ofMillis(200))
                .withAttachmentsTopic("late-attachments" + suffix);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (KafkaAttachments a = start(kafka, "pop-a", registry)) {
            assertThat(a.reading()).isFalse();
            assertThat(registry.find("relay.attachments.log.up").gauge().value())
                    .isZero();
            // Local handshakes still count here meanwhile.
            a.publishLocal("demo", new int[] {1}, OPERATOR, Instant.now());
            assertThat(a.attachments().operatorOf(1)).isEqualTo("demo");

            assertThat(DirectoryAdmin.createTopic(kafka.attachments(), Optional.empty(), Optional.empty()))
                    .isInstanceOf(DirectoryAdmin.Created.Done.class);
            Await.until(WAIT, "the topic is read once it exists", a::reading);
            assertThat(registry.find("relay.attachments.log.up").gauge().value())
                    .isEqualTo(1);
            a.publishLocal("other", new int[] {2}, OPERATOR, Instant.now());
            Await.until(
                    WAIT,
                    "this PoP's record comes back from the log",
                    () -> count(registry, "relay.attachments.records", "result", "applied") >= 1);
        }
    }

    @Test
    void aBurstOfHandshakesNeverBlocksAndKeepsTheLatestPerOperator() {
        DirectoryConfig.Kafka kafka = topics("burst");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Instant t0 = Instant.now();
        try (KafkaAttachments a = new KafkaAttachments(kafka, "pop-a", registry, 4)) {
            a.start();
            int queued = 0;
            for (int i = 0; i < 2000; i++) {
                if (a.publishLocal("op" + (i % 8), new int[] {i}, OPERATOR, t0.plusMillis(i))) {
                    queued++;
                }
            }
            double dropped = count(registry, "relay.attachments.publish", "result", "dropped");
            assertThat(queued + (int) dropped).isEqualTo(2000);
            // Each operator's latest handshake is in force here whatever the queue did.
            for (int op = 0; op < 8; op++) {
                assertThat(a.attachments().attachment("op" + op).since()).isEqualTo(t0.plusMillis(1992 + op));
            }
        }
    }

    @Test
    void theOperatorsApiShowsWhereTheTunnelIsAttached() throws Exception {
        DirectoryConfig.Kafka kafka = topics("api");
        Path yaml = relayYaml(dir, "pop-a", kafka);
        Parsed<RelayConfig> parsed = RelayConfigFile.read(yaml);
        assertThat(parsed).isInstanceOf(Parsed.Ok.class);
        RelayConfig config = ((Parsed.Ok<RelayConfig>) parsed).value();
        assertThat(config.directory().kafka().attachmentsTopic()).isEqualTo(kafka.attachmentsTopic());
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (RelayDaemon relay = RelayDaemon.start(config);
                Http http = new Http(relay.managementAddress());
                KafkaAttachments other = start(kafka, "pop-b", new SimpleMeterRegistry())) {
            HttpResponse<String> r = http.send(
                    "PUT",
                    "/v1/operators/alice",
                    TOKEN,
                    "{\"name\":\"alice\",\"hosts\":[\"alice.example.test\"],\"upstream\":{\"http\":\"127.0.0.1:8080\"}}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            assertThat(json(http).get("attachment").isNull()).isTrue();

            KafkaAttachments attachments = relay.attachments();
            assertThat(attachments).isNotNull();
            attachments.publishLocal("alice", new int[] {7}, OPERATOR, t0);
            JsonNode local = json(http).get("attachment");
            assertThat(local.get("pop").asString()).isEqualTo("pop-a");
            assertThat(Instant.parse(local.get("since").asString())).isEqualTo(t0);
            assertThat(local.get("local").asBoolean()).isTrue();

            other.publishLocal("alice", new int[] {8}, OPERATOR, t0.plusSeconds(1));
            Await.until(
                    WAIT,
                    "pop-a shows alice attached to pop-b",
                    () -> "pop-b".equals(json(http).at("/attachment/pop").asString()));
            assertThat(json(http).at("/attachment/local").asBoolean()).isFalse();
            assertThat(attachments.attachments().operatorOf(8)).isEqualTo("alice");
        }
    }

    private static JsonNode json(Http http) {
        return JsonMapper.shared()
                .readTree(http.get("/v1/operators/alice", TOKEN).body());
    }

    private static Path relayYaml(Path dir, String pop, DirectoryConfig.Kafka kafka) throws Exception {
        Files.createDirectories(dir);
        SecretFiles.write(dir.resolve("admin.token"), TOKEN + "\n");
        Path yaml = dir.resolve("relay.yaml");
        Files.writeString(yaml, """
                pop: %s
                listen: { http: "127.0.0.1:0" }
                management: { listen: "127.0.0.1:0", token_file: admin.token }
                drain: { delay: 10ms, timeout: 1s }
                upstreams: { allow_loopback: true }
                directory:
                  kafka:
                    bootstrap_servers: "%s"
                    topic: %s
                    attachments_topic: %s
                    start_timeout: 10s
                    request_timeout: 5s
                    write_timeout: 3s
                    probe_interval: 200ms
                  snapshot_interval: 100ms
                """.formatted(pop, kafka.bootstrapServers(), kafka.topic(), kafka.attachmentsTopic()));
        return yaml;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            while (c.position(tp) < end) {
                c.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            return all;
        }
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }
}
