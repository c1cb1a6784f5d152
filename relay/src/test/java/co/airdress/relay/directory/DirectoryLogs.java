package co.airdress.relay.directory;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.management.Http;
import co.airdress.relay.testing.KafkaBroker;
import co.airdress.relay.testing.SecretFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Topics, configs, raw clients and relays for the tests of the directory's log. */
final class DirectoryLogs {

    static final String TOKEN = "directory-test-token";
    private static final AtomicInteger TOPICS = new AtomicInteger();

    private DirectoryLogs() {}

    /** A fresh topic of the directory's shape on {@code broker}, made by {@code create-topic}'s code. */
    static String createTopic(KafkaBroker broker, String prefix) {
        String topic = prefix + "-" + ProcessHandle.current().pid() + "-" + TOPICS.incrementAndGet();
        DirectoryAdmin.Created c = DirectoryAdmin.createTopic(
                new DirectoryConfig.Kafka(broker.bootstrapServers(), topic), Optional.empty(), Optional.empty());
        assertThat(c).isInstanceOf(DirectoryAdmin.Created.Done.class);
        return topic;
    }

    /**
     * Short timeouts where tests wait for them (writes, probes); requests get 5 s, so that a broker
     * busy with other tests is not taken for one that is away.
     */
    static DirectoryConfig.Kafka kafka(String servers, String topic) {
        return new DirectoryConfig.Kafka(
                servers,
                topic,
                Map.of(),
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                Duration.ofSeconds(3),
                Duration.ofMillis(200));
    }

    static DirectoryConfig config(String servers, String topic, Path snapshot) {
        return new DirectoryConfig(kafka(servers, topic), snapshot, Duration.ofMillis(100));
    }

    /** A relay config in {@code dir} with its directory in {@code topic}; returns its path. */
    static Path relayYaml(Path dir, String pop, String servers, String topic) throws IOException {
        return relayYaml(dir, pop, servers, topic, "10s", "5s");
    }

    /**
     * {@code startTimeout}: how long the start waits for the log; {@code requestTimeout}: how long a
     * request to the log may take before it counts as lost.
     */
    static Path relayYaml(
            Path dir, String pop, String servers, String topic, String startTimeout, String requestTimeout)
            throws IOException {
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
                    start_timeout: %s
                    request_timeout: %s
                    write_timeout: 3s
                    probe_interval: 200ms
                  snapshot_interval: 100ms
                """.formatted(pop, servers, topic, startTimeout, requestTimeout));
        return yaml;
    }

    static RelayDaemon startRelay(Path yaml) throws InterruptedException {
        Parsed<RelayConfig> parsed = RelayConfigFile.read(yaml);
        assertThat(parsed).isInstanceOf(Parsed.Ok.class);
        return RelayDaemon.start(((Parsed.Ok<RelayConfig>) parsed).value());
    }

    static KafkaProducer<byte[], byte[]> producer(String servers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Every record of the topic now. */
    static List<ConsumerRecord<byte[], byte[]>> records(String servers, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
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

    static String text(byte @Nullable [] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }

    /** The management API of a relay, every call with the admin token (/v1 reads need it too). */
    static final class Api implements AutoCloseable {
        private final Http http;

        Api(InetSocketAddress management) {
            this.http = new Http(management);
        }

        HttpResponse<String> get(String path) {
            return http.get(path, TOKEN);
        }

        HttpResponse<String> put(String name, String body) {
            return http.send("PUT", "/v1/operators/" + name, TOKEN, body);
        }

        HttpResponse<String> delete(String name) {
            return http.send("DELETE", "/v1/operators/" + name, TOKEN, null);
        }

        JsonNode json(String path) {
            return JsonMapper.shared().readTree(get(path).body());
        }

        /** {@code checks.directory} of /readyz. */
        JsonNode directory() {
            return json("/readyz").at("/checks/directory");
        }

        @Override
        public void close() {
            http.close();
        }
    }

    /** An operator body as the API takes it. */
    static String body(String name, int port, String... hosts) {
        StringBuilder h = new StringBuilder();
        for (String host : hosts) {
            h.append(h.isEmpty() ? "" : ",").append('"').append(host).append('"');
        }
        return "{\"name\":\"" + name + "\",\"hosts\":[" + h + "],\"upstream\":{\"http\":\"127.0.0.1:" + port + "\"}}";
    }
}
