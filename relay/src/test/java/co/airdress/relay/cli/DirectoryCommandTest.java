package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.testing.KafkaBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/relay directory ...} through the command line's entry point, against a real broker. */
class DirectoryCommandTest {

    private static final AtomicInteger TOPICS = new AtomicInteger();
    static KafkaBroker broker;

    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    @BeforeAll
    static void broker() {
        broker = KafkaBroker.shared();
    }

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return RelayCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private Path config(String topic) throws Exception {
        Path yaml = dir.resolve("relay-" + topic + ".yaml");
        Files.writeString(yaml, """
                pop: ams1
                listen: { tls: "127.0.0.1:0" }
                upstreams: { allow_loopback: true }
                directory: { kafka: { bootstrap_servers: "%s", topic: %s, attachments_topic: %s-attachments, request_timeout: 5s } }
                """.formatted(broker.bootstrapServers(), topic, topic));
        return yaml;
    }

    private static String topic(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + TOPICS.incrementAndGet();
    }

    private static long endOffset(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return c.endOffsets(List.of(tp)).get(tp);
        }
    }

    @Test
    void createTopicIsIdempotentAndRefusesATopicOfAnotherShape() throws Exception {
        String topic = topic("create");
        Path yaml = config(topic);
        assertThat(run("directory", "create-topic", "--config", yaml.toString(), "--replication-factor", "1"))
                .as(err.toString())
                .isZero();
        assertThat(out.toString()).contains("created topic " + topic + " ").contains("cleanup.policy=compact");
        // The attachments' topic too, of the same shape.
        assertThat(out.toString()).contains("created topic " + topic + "-attachments ");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            var description = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic);
            assertThat(description.partitions()).hasSize(1);
            assertThat(admin.describeTopics(List.of(topic + "-attachments"))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get(topic + "-attachments")
                            .partitions())
                    .hasSize(1);
            String wide = topic("wide");
            admin.createTopics(List.of(new NewTopic(wide, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
            assertThat(run("directory", "create-topic", "-c", config(wide).toString()))
                    .isEqualTo(RelayCommand.INVALID);
            assertThat(err.toString()).contains("exists with 3 partition(s)").contains("expected: 1 partition");
        }
        assertThat(run("directory", "create-topic", "--config", yaml.toString()))
                .isZero();
        assertThat(out.toString()).contains("already exists").contains("nothing to do");
        assertThat(out.toString()).contains("topic " + topic + "-attachments already exists");
    }

    @Test
    void createTopicMakesThePopsTopicOfABackhaulToo() throws Exception {
        String topic = topic("mesh");
        Path yaml = config(topic);
        Path key = dir.resolve("mesh.key");
        assertThat(RelayCommand.execute(
                        new PrintWriter(Files.newBufferedWriter(key), true),
                        new PrintWriter(new StringWriter()),
                        "genkey"))
                .isZero();
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(yaml, Files.readString(yaml) + """
                        backhaul: { interface: mesh0, private_key_file: %s, addresses: ["10.200.0.1/24"], listen_port: 51821, endpoint: "192.0.2.10:51821", topic: %s-pops }
                        """.formatted(key, topic));
        assertThat(run("directory", "create-topic", "--config", yaml.toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString())
                .contains("created topic " + topic + " ")
                .contains("created topic " + topic + "-attachments ")
                .contains("created topic " + topic + "-pops ");
        assertThat(endOffset(topic + "-pops")).isZero();
    }

    @Test
    void importChecksEveryEntryFirstAndExportPrintsTheDirectory() throws Exception {
        String topic = topic("import");
        Path yaml = config(topic);
        assertThat(run("directory", "create-topic", "--config", yaml.toString()))
                .isZero();
        Path ops = dir.resolve("ops.yaml");
        Files.writeString(ops, """
                operators:
                  - { name: alice, hosts: [alice.example.test, "*.alice.example.test"], upstream: { http: "127.0.0.1:8080" } }
                  - { name: bob, hosts: [bob.example.test], upstream: { tls: "127.0.0.1:9443" }, proxy_protocol: v2 }
                """);
        assertThat(run("directory", "import", ops.toString(), "--config", yaml.toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString()).contains("2 created, 0 updated, 0 unchanged");

        assertThat(run("directory", "export", "--config", yaml.toString())).isZero();
        Parsed<List<Operator>> exported = OperatorsFile.parse(out.toString(), "export");
        assertThat(exported).isEqualTo(OperatorsFile.read(ops));
        assertThat(err.toString()).contains("exported 2 operators");

        // Conflicts with the directory, and with what an earlier entry of the file puts in it:
        // every one reported, nothing written.
        long before = endOffset(topic);
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                operators:
                  - { name: carol, hosts: [carol.example.test, login.alice.example.test], upstream: { http: "127.0.0.1:1" } }
                  - { name: dave, hosts: ["*.dave.example.test"], upstream: { http: "127.0.0.1:1" } }
                  - { name: bob, hosts: [bob.example.test, "*.www.alice.example.test"], upstream: { http: "127.0.0.1:1" } }
                """);
        assertThat(run("directory", "import", bad.toString(), "--config", yaml.toString()))
                .isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString())
                .contains("nothing imported: 2 problems")
                .contains("operators[0].hosts[1]: \"login.alice.example.test\" of operator \"carol\" (expected: a "
                        + "host outside \"*.alice.example.test\" of operator \"alice\")")
                .contains("operators[2].hosts[1]: \"*.www.alice.example.test\" of operator \"bob\" (expected: a host"
                        + " outside \"*.alice.example.test\" of operator \"alice\")");
        assertThat(endOffset(topic)).isEqualTo(before);

        // A file that is itself invalid: its problems, nothing written.
        Files.writeString(bad, "operators:\n  - { name: Eve, hosts: [\"*.com\"], upstream: { http: \"x\" } }\n");
        assertThat(run("directory", "import", bad.toString(), "--config", yaml.toString()))
                .isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains("operators[0].name: \"Eve\"").contains("operators[0].hosts[0]");
        assertThat(endOffset(topic)).isEqualTo(before);

        assertThat(run("directory", "import", ops.toString(), "--config", yaml.toString()))
                .isZero();
        assertThat(out.toString()).contains("0 created, 0 updated, 2 unchanged");
        assertThat(endOffset(topic)).isEqualTo(before);
    }

    @Test
    void aConfigWithoutADirectoryIsRefusedAndAMissingTopicNamesCreateTopic() throws Exception {
        Path plain = dir.resolve("plain.yaml");
        Files.writeString(plain, "pop: ams1\nlisten: { tls: \"127.0.0.1:0\" }\n");
        assertThat(run("directory", "export", "--config", plain.toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains("directory.kafka: missing");

        assertThat(run(
                        "directory",
                        "export",
                        "--config",
                        config(topic("absent")).toString()))
                .isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains("does not exist").contains("bin/relay directory create-topic");

        assertThat(run("run", "--config", config(topic("absent")).toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains("does not exist").contains("bin/relay directory create-topic");
    }
}
