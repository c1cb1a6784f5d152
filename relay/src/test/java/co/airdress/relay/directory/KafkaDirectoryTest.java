package co.airdress.relay.directory;

import static co.airdress.relay.directory.DirectoryLogs.body;
import static co.airdress.relay.directory.OperatorFixtures.operator;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.Operator;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.RecentEvents;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.KafkaBroker;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory replicated through a real Kafka broker (one shared by these tests, a topic each). */
class KafkaDirectoryTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    static KafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void broker() {
        broker = KafkaBroker.shared();
    }

    private static @Nullable String owner(RelayDaemon relay, String host) {
        Operator op = relay.routes().current().lookup(host);
        return op == null ? null : op.name();
    }

    private static List<Operator> table(RelayDaemon relay) {
        return relay.routes().current().operators();
    }

    @Test
    void writesThroughEitherPopConvergeAndDeletesToo() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "converge");
        try (RelayDaemon a = DirectoryLogs.startRelay(
                        DirectoryLogs.relayYaml(dir.resolve("a"), "pop-a", broker.bootstrapServers(), topic));
                RelayDaemon b = DirectoryLogs.startRelay(
                        DirectoryLogs.relayYaml(dir.resolve("b"), "pop-b", broker.bootstrapServers(), topic));
                DirectoryLogs.Api apiA = new DirectoryLogs.Api(a.managementAddress());
                DirectoryLogs.Api apiB = new DirectoryLogs.Api(b.managementAddress())) {
            assertThat(apiA.get("/readyz").statusCode()).isEqualTo(200);
            assertThat(apiA.directory().get("status").asString()).isEqualTo("UP");
            assertThat(apiA.directory().get("source").asString()).isEqualTo("kafka");

            HttpResponse<String> r = apiA.put("alice", body("alice", 8080, "alice.example.test"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            // Read-your-writes: the writer routes it as soon as it answers.
            assertThat(owner(a, "alice.example.test")).isEqualTo("alice");
            Await.until(WAIT, "pop-b routes alice", () -> "alice".equals(owner(b, "alice.example.test")));

            r = apiB.put("bob", body("bob", 9080, "bob.example.test"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            assertThat(owner(b, "bob.example.test")).isEqualTo("bob");
            r = apiB.put("alice", body("alice", 8080, "alice.example.test", "*.alice.example.test"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            Await.until(WAIT, "pop-a routes alice's wildcard", () -> "alice".equals(owner(a, "x.alice.example.test")));
            Await.until(WAIT, "pop-a routes bob", () -> "bob".equals(owner(a, "bob.example.test")));

            assertThat(apiA.delete("alice").statusCode()).isEqualTo(204);
            assertThat(owner(a, "alice.example.test")).isNull();
            assertThat(apiA.delete("alice").statusCode()).isEqualTo(404);
            Await.until(WAIT, "pop-b forgets alice", () -> owner(b, "alice.example.test") == null);
            Await.until(WAIT, "the same table on both PoPs", () -> table(a).equals(table(b)));
            assertThat(table(a)).extracting(Operator::name).containsExactly("bob");
            assertThat(apiB.json("/v1/operators/bob").get("name").asString()).isEqualTo("bob");

            Await.until(
                    WAIT,
                    "pop-b's readyz at the last offset",
                    () -> apiB.directory().get("offset").asLong() == 3);
            assertThat(apiB.directory().get("lag").asLong()).isZero();
            assertThat(apiB.directory().get("last_applied_at").isString()).isTrue();
            String metrics = apiA.get("/metrics").body();
            assertThat(metrics)
                    .contains("relay_directory_records_total{pop=\"pop-a\",reason=\"none\",result=\"applied\"} 4.0")
                    .contains("relay_directory_state{pop=\"pop-a\",state=\"up\"} 1.0")
                    .contains("relay_directory_state{pop=\"pop-a\",state=\"stale\"} 0.0")
                    .contains("relay_directory_offset{pop=\"pop-a\"} 3.0")
                    .contains("relay_directory_lag_records{pop=\"pop-a\"} 0.0")
                    .contains("relay_directory_last_applied_age_seconds{pop=\"pop-a\"}")
                    .contains("relay_directory_writes_total{method=\"put\",pop=\"pop-a\",result=\"applied\"} 1.0")
                    .contains("relay_directory_writes_total{method=\"delete\",pop=\"pop-a\",result=\"applied\"} 1.0")
                    .contains("relay_directory_write_seconds_count{pop=\"pop-a\"} 2");
        }
    }

    @Test
    void conflictingWritesRacedThroughBothPopsConvergeToOneOwner() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "race");
        try (RelayDaemon a = DirectoryLogs.startRelay(
                        DirectoryLogs.relayYaml(dir.resolve("a"), "pop-a", broker.bootstrapServers(), topic));
                RelayDaemon b = DirectoryLogs.startRelay(
                        DirectoryLogs.relayYaml(dir.resolve("b"), "pop-b", broker.bootstrapServers(), topic));
                DirectoryLogs.Api apiA = new DirectoryLogs.Api(a.managementAddress());
                DirectoryLogs.Api apiB = new DirectoryLogs.Api(b.managementAddress())) {
            int rounds = 20;
            List<String> winners = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                // x claims a name that y's wildcard would cover: only one of them can have it.
                String name = "www.s" + i + ".example.test";
                String wildcard = "*.s" + i + ".example.test";
                CountDownLatch go = new CountDownLatch(1);
                int n = i;
                CompletableFuture<HttpResponse<String>> x = CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    return apiA.put("x" + n, body("x" + n, 8080, name));
                });
                CompletableFuture<HttpResponse<String>> y = CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    return apiB.put("y" + n, body("y" + n, 9080, wildcard));
                });
                go.countDown();
                int xs = x.join().statusCode();
                int ys = y.join().statusCode();
                assertThat(List.of(xs, ys))
                        .as("round %d: %s / %s", i, x.join().body(), y.join().body())
                        .containsExactlyInAnyOrder(201, 409);
                winners.add(xs == 201 ? "x" + n : "y" + n);
            }
            Await.until(WAIT, "the same table on both PoPs", () -> table(a).equals(table(b)));
            for (int i = 0; i < rounds; i++) {
                String winner = winners.get(i);
                assertThat(owner(a, "www.s" + i + ".example.test")).isEqualTo(winner);
                assertThat(owner(b, "www.s" + i + ".example.test")).isEqualTo(winner);
                assertThat(table(a))
                        .extracting(Operator::name)
                        .doesNotContain(winner.startsWith("x") ? "y" + i : "x" + i);
            }
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Two directories on one topic, their threads held so that both pass their checks first. */
    @Test
    void aWriteTheLogRejectsIs409AndItsKeyIsCompensated() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "compensate");
        String servers = broker.bootstrapServers();
        try (OperatorDirectory a = directory("pop-a", servers, topic);
                OperatorDirectory b = directory("pop-b", servers, topic)) {
            a.start();
            b.start();
            CountDownLatch holdA = new CountDownLatch(1);
            CountDownLatch holdB = new CountDownLatch(1);
            a.executor().execute(() -> awaitLatch(holdA));
            b.executor().execute(() -> awaitLatch(holdB));
            CompletableFuture<OperatorDirectory.Put> viaA = a.putAsync(operator("alice", 8080, "*.alice.example.test"));
            CompletableFuture<OperatorDirectory.Put> viaB =
                    b.putAsync(operator("bob", 9080, "login.alice.example.test"));
            holdA.countDown();
            assertThat(viaA.get(10, TimeUnit.SECONDS)).isInstanceOf(OperatorDirectory.Put.Created.class);
            // B checked against a table without alice, then wrote after her: the log says no.
            holdB.countDown();
            assertThat(viaB.get(10, TimeUnit.SECONDS))
                    .isEqualTo(new OperatorDirectory.Put.Conflict(new ClaimConflict(
                            ClaimConflict.Kind.HOST,
                            "bob",
                            "login.alice.example.test",
                            "alice",
                            "*.alice.example.test")));
            assertThat(b.get("bob")).isNull();

            // B wrote a tombstone for bob after its rejected record: the last record of the key.
            Await.until(
                    WAIT,
                    "the compensating record",
                    () -> DirectoryLogs.records(servers, topic).size() == 3);
            List<ConsumerRecord<byte[], byte[]>> log = DirectoryLogs.records(servers, topic);
            ConsumerRecord<byte[], byte[]> rejected = log.get(1);
            ConsumerRecord<byte[], byte[]> compensation = log.get(2);
            assertThat(DirectoryLogs.text(rejected.key())).isEqualTo("bob");
            assertThat(DirectoryLogs.text(compensation.key())).isEqualTo("bob");
            assertThat(compensation.value()).isNull();
            assertThat(DirectoryLogs.text(compensation
                            .headers()
                            .lastHeader(DirectoryRecord.COMPENSATES)
                            .value()))
                    .isEqualTo(Long.toString(rejected.offset()));
            Await.until(WAIT, "both directories at the compensation", () -> a.size() == 1 && b.size() == 1);
            assertThat(a.list()).isEqualTo(b.list());
            assertThat(bMetrics.scrape())
                    .contains("relay_directory_compensations_total{pop=\"pop-b\",result=\"sent\"} 1.0")
                    .contains("relay_directory_writes_total{method=\"put\",pop=\"pop-b\",result=\"rejected\"} 1.0")
                    .contains(
                            "relay_directory_records_total{pop=\"pop-b\",reason=\"conflict\",result=\"rejected\"} 1.0");
        }
    }

    private final RelayMetrics aMetrics = new RelayMetrics("pop-a");
    private final RelayMetrics bMetrics = new RelayMetrics("pop-b");
    private final HealthState aHealth = new HealthState("pop-a");
    private final HealthState bHealth = new HealthState("pop-b");

    private OperatorDirectory directory(String pop, String servers, String topic) {
        RelayMetrics metrics = pop.equals("pop-a") ? aMetrics : bMetrics;
        HealthState health = pop.equals("pop-a") ? aHealth : bHealth;
        return OperatorDirectory.log(
                        DirectoryLogs.config(servers, topic, dir.resolve(pop + ".snapshot")),
                        pop,
                        new Routes(RouteTable.empty()),
                        health,
                        metrics)
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
    }

    @Test
    void invalidAndUnknownVersionRecordsAreRejectedTheSameWayByEveryPop() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "invalid");
        String servers = broker.bootstrapServers();
        try (OperatorDirectory a = directory("pop-a", servers, topic)) {
            a.start(); // follows the log while it is written
            try (KafkaProducer<byte[], byte[]> p = DirectoryLogs.producer(servers)) {
                send(p, topic, "alice", body("alice", 8080, "alice.example.test", "*.alice.example.test"), null);
                send(p, topic, "alice", body("alice", 8080, "evil.example.test"), "2");
                send(p, topic, "bob", "{\"name\":\"bob\",\"hosts\":[", null);
                send(p, topic, "carol", body("mallory", 1, "carol.example.test"), "1");
                send(p, topic, "dave", body("dave", 1, "www.alice.example.test"), "1");
                send(p, topic, "erin", body("erin", 1, "erin.example.test"), "1");
                p.flush();
            }
            Await.until(WAIT, "pop-a at the last record", () -> a.size() == 2);
            try (OperatorDirectory b = directory("pop-b", servers, topic)) {
                b.start(); // reads the same log from the beginning
                assertThat(b.list()).isEqualTo(a.list());
                assertThat(b.list()).extracting(Operator::name).containsExactly("alice", "erin");
                assertThat(b.get("alice").hosts()).containsExactly("alice.example.test", "*.alice.example.test");
                for (RelayMetrics m : List.of(aMetrics, bMetrics)) {
                    String pop = m == aMetrics ? "pop-a" : "pop-b";
                    assertThat(m.scrape())
                            .contains("relay_directory_records_total{pop=\"" + pop
                                    + "\",reason=\"none\",result=\"applied\"} 2.0")
                            .contains("relay_directory_records_total{pop=\"" + pop
                                    + "\",reason=\"unknown_version\",result=\"rejected\"} 1.0")
                            .contains("relay_directory_records_total{pop=\"" + pop
                                    + "\",reason=\"invalid\",result=\"rejected\"} 1.0")
                            .contains("relay_directory_records_total{pop=\"" + pop
                                    + "\",reason=\"name_mismatch\",result=\"rejected\"} 1.0")
                            .contains("relay_directory_records_total{pop=\"" + pop
                                    + "\",reason=\"conflict\",result=\"rejected\"} 1.0");
                }
                // Each rejection is also among the recent events the status page shows.
                for (HealthState h : List.of(aHealth, bHealth)) {
                    assertThat(h.events().newestFirst())
                            .allSatisfy(e -> assertThat(e.source()).isEqualTo(RecentEvents.Source.DIRECTORY))
                            .extracting(RecentEvents.Event::message)
                            .satisfiesExactly(
                                    m -> assertThat(m)
                                            .startsWith("directory record at offset 4 (key \"dave\") rejected"
                                                    + " (conflict): "),
                                    m -> assertThat(m)
                                            .startsWith("directory record at offset 3 (key \"carol\") rejected"
                                                    + " (name_mismatch): "),
                                    m -> assertThat(m)
                                            .startsWith("directory record at offset 2 (key \"bob\") rejected"
                                                    + " (invalid): "),
                                    m -> assertThat(m)
                                            .startsWith("directory record at offset 1 (key \"alice\") rejected"
                                                    + " (unknown_version): "));
                }
            }
        }
    }

    @Test
    void operatorsThisPopCannotRouteStayInTheDirectoryAndOutOfItsTable() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "unroutable");
        String servers = broker.bootstrapServers();
        Routes routes = new Routes(RouteTable.empty());
        // This PoP: no tunnel, loopback upstreams refused (the defaults).
        try (OperatorDirectory a = OperatorDirectory.log(
                DirectoryLogs.config(servers, topic, dir.resolve("a.snapshot")), "pop-a", routes, aHealth, aMetrics)) {
            a.start();
            String wireguard = "{\"name\":\"wg\",\"hosts\":[\"wg.example.test\"],\"wireguard\":{\"public_key\":"
                    + "\"xhTCRM9o+zXGr8pk1SIzMM/BnUNOZemYNOewJWGIuS4=\",\"address\":\"fd00:a1d::2\"}}";
            try (KafkaProducer<byte[], byte[]> p = DirectoryLogs.producer(servers)) {
                send(p, topic, "alice", body("alice", 8080, "alice.example.test"), null); // 127.0.0.1: loopback
                send(p, topic, "bob", direct("bob", "10.0.0.7", "bob.example.test"), null);
                send(p, topic, "wg", wireguard, null);
                p.flush();
            }
            Await.until(WAIT, "all three in the directory", () -> a.size() == 3);
            assertThat(a.list()).extracting(Operator::name).containsExactly("alice", "bob", "wg");
            assertThat(routes.current().operators()).extracting(Operator::name).containsExactly("bob");
            assertThat(aMetrics.scrape()).contains("relay_directory_unroutable_operators{pop=\"pop-a\"} 2.0");

            // Changes elsewhere in the directory keep what was left out out, and what changes is checked.
            try (KafkaProducer<byte[], byte[]> p = DirectoryLogs.producer(servers)) {
                send(p, topic, "carol", direct("carol", "10.0.0.8", "carol.example.test"), null);
                send(p, topic, "bob", direct("bob", "10.0.0.9", "bob.example.test", "www.bob.example.test"), null);
                p.flush();
            }
            Await.until(WAIT, "carol routed", () -> routes.current().lookup("carol.example.test") != null);
            Await.until(WAIT, "bob's new host routed", () -> routes.current().lookup("www.bob.example.test") != null);
            assertThat(routes.current().operators()).extracting(Operator::name).containsExactly("bob", "carol");
            assertThat(aMetrics.scrape()).contains("relay_directory_unroutable_operators{pop=\"pop-a\"} 2.0");
            try (KafkaProducer<byte[], byte[]> p = DirectoryLogs.producer(servers)) {
                send(p, topic, "alice", direct("alice", "10.0.0.10", "alice.example.test"), null);
                p.flush();
            }
            Await.until(
                    WAIT,
                    "alice routed once off loopback",
                    () -> routes.current().lookup("alice.example.test") != null);
            assertThat(aMetrics.scrape()).contains("relay_directory_unroutable_operators{pop=\"pop-a\"} 1.0");
            assertThat(routes.current().lookup("wg.example.test")).isNull();
        }
    }

    /** An operator's PUT body with an HTTP upstream at {@code address}:80. */
    private static String direct(String name, String address, String... hosts) {
        return body(name, 80, hosts).replace("127.0.0.1:80", address + ":80");
    }

    private static void send(
            KafkaProducer<byte[], byte[]> p, String topic, String key, @Nullable String value, @Nullable String format)
            throws Exception {
        RecordHeaders headers = new RecordHeaders();
        if (format != null) {
            headers.add(DirectoryRecord.FORMAT, format.getBytes(StandardCharsets.US_ASCII));
        }
        p.send(new ProducerRecord<>(
                        topic,
                        0,
                        key.getBytes(StandardCharsets.UTF_8),
                        value == null ? null : value.getBytes(StandardCharsets.UTF_8),
                        headers))
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void startsFromALogOfManyRecords() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "bootstrap");
        String servers = broker.bootstrapServers();
        int records = 10_000;
        try (KafkaProducer<byte[], byte[]> p = DirectoryLogs.producer(servers)) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                // 4,000 operators written twice (the second with a wildcard), 2,000 deleted again.
                int op = i % 4000;
                String value = i < 8000
                        ? (i < 4000
                                ? body("op" + op, 8080, "op" + op + ".example.test")
                                : body("op" + op, 8080, "op" + op + ".example.test", "*.op" + op + ".example.test"))
                        : null;
                sent.add(p.send(new ProducerRecord<>(
                        topic,
                        0,
                        ("op" + op).getBytes(StandardCharsets.UTF_8),
                        value == null ? null : value.getBytes(StandardCharsets.UTF_8))));
            }
            for (var f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        HealthState health = new HealthState("pop-a");
        Routes routes = new Routes(RouteTable.empty());
        try (OperatorDirectory a = OperatorDirectory.log(
                        DirectoryLogs.config(servers, topic, dir.resolve("a.snapshot")),
                        "pop-a",
                        routes,
                        health,
                        aMetrics)
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS)) {
            a.start(); // returns once the log is read to the end offset seen at start
            assertThat(a.size()).isEqualTo(2000);
            assertThat(routes.current().lookup("www.op3999.example.test").name())
                    .isEqualTo("op3999");
            assertThat(routes.current().lookup("op0.example.test")).isNull();
            assertThat(health.directory().status().name()).isEqualTo("UP");
            assertThat(health.directory().offset()).isEqualTo(records - 1L);
            assertThat(routes.current().version())
                    .as("one swap for the whole log")
                    .isEqualTo(1);
        }
    }

    @Test
    void aMissingTopicFailsTheStartNamingCreateTopic() throws Exception {
        Path yaml = DirectoryLogs.relayYaml(dir, "pop-a", broker.bootstrapServers(), "no-such-topic");
        assertThatThrownBy(() -> DirectoryLogs.startRelay(yaml))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("\"no-such-topic\" does not exist")
                .hasMessageContaining("bin/relay directory create-topic");
    }

    @Test
    void aTopicOfTwoPartitionsIsRefused() throws Exception {
        String topic = "two-" + ProcessHandle.current().pid();
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                java.util.Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 2, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        Path yaml = DirectoryLogs.relayYaml(dir, "pop-a", broker.bootstrapServers(), topic);
        assertThatThrownBy(() -> DirectoryLogs.startRelay(yaml))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has 2 partitions (expected: exactly 1");
    }
}
