package co.airdress.relay.directory;

import static co.airdress.relay.directory.DirectoryLogs.body;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.Operator;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.KafkaBroker;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The directory when its log goes away: a broker of these tests' own, stopped, killed and restarted. */
class KafkaDirectoryFaultsTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path brokerDir;

    static KafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void brokerRunning() {
        if (!broker.running()) {
            broker.restart();
        }
    }

    private static @Nullable String owner(RelayDaemon relay, String host) {
        Operator op = relay.routes().current().lookup(host);
        return op == null ? null : op.name();
    }

    private static String status(DirectoryLogs.Api api) {
        return api.directory().get("status").asString();
    }

    @Test
    void aKilledBrokerLeavesThePopsRoutingStaleAndChangesFlowAgainOnceItIsBack() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "killed");
        String servers = broker.bootstrapServers();
        try (RelayDaemon a = DirectoryLogs.startRelay(
                        DirectoryLogs.relayYaml(dir.resolve("a"), "pop-a", servers, topic, "3s", "2s"));
                RelayDaemon b = DirectoryLogs.startRelay(
                        DirectoryLogs.relayYaml(dir.resolve("b"), "pop-b", servers, topic, "3s", "2s"));
                DirectoryLogs.Api apiA = new DirectoryLogs.Api(a.managementAddress());
                DirectoryLogs.Api apiB = new DirectoryLogs.Api(b.managementAddress())) {
            assertThat(apiA.put("alice", body("alice", 8080, "alice.example.test"))
                            .statusCode())
                    .isEqualTo(201);
            Await.until(WAIT, "pop-b routes alice", () -> "alice".equals(owner(b, "alice.example.test")));

            broker.kill();
            Await.until(WAIT, "pop-a STALE", () -> status(apiA).equals("STALE"));
            Await.until(WAIT, "pop-b STALE", () -> status(apiB).equals("STALE"));
            // Still announced, still routing with the table in force.
            assertThat(apiA.get("/readyz").statusCode()).isEqualTo(200);
            assertThat(apiB.get("/readyz").statusCode()).isEqualTo(200);
            assertThat(owner(a, "alice.example.test")).isEqualTo("alice");
            assertThat(owner(b, "alice.example.test")).isEqualTo("alice");
            JsonNode readyz = apiA.json("/readyz");
            assertThat(readyz.at("/checks/operators/last_error").asString())
                    .contains("directory log " + servers + " unreachable since");
            assertThat(apiA.get("/metrics").body())
                    .contains("relay_directory_state{pop=\"pop-a\",state=\"stale\"} 1.0")
                    .contains("relay_operators_file_rejected{pop=\"pop-a\"} 0.0");
            // The status page: the directory's check STALE, the lost log among the recent errors.
            assertThat(apiA.get("/status").body())
                    .contains("<tr data-check=\"directory\"><td>directory</td><td class=\"warn\">STALE</td>")
                    .contains("<b>directory</b>")
                    .contains("directory log " + servers + " unreachable since");

            // A change cannot be confirmed: 503 within the write timeout, with a clear body.
            long t0 = System.nanoTime();
            HttpResponse<String> r = apiA.put("bob", body("bob", 9080, "bob.example.test"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(JsonMapper.shared().readTree(r.body()).get("error").asString())
                    .contains("the directory log")
                    .contains("it may still be applied");
            assertThat(apiA.get("/metrics").body())
                    .contains("relay_directory_writes_total{method=\"put\",pop=\"pop-a\",result=\"unavailable\"} 1.0");

            broker.restart();
            Await.until(WAIT, "pop-a UP", () -> status(apiA).equals("UP"));
            Await.until(WAIT, "pop-b UP", () -> status(apiB).equals("UP"));
            assertThat(apiA.json("/readyz").at("/checks/operators/last_error").isNull())
                    .isTrue();
            r = apiB.put("carol", body("carol", 9090, "carol.example.test"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            Await.until(WAIT, "pop-a routes carol", () -> "carol".equals(owner(a, "carol.example.test")));
            Await.until(
                    WAIT,
                    "the same table on both PoPs",
                    () -> a.routes()
                            .current()
                            .operators()
                            .equals(b.routes().current().operators()));
        }
    }

    @Test
    void withoutTheBrokerAtStartAPopRoutesFromItsSnapshotOrIsDown() throws Exception {
        String topic = DirectoryLogs.createTopic(broker, "snapshot");
        String servers = broker.bootstrapServers();
        Path yamlA = DirectoryLogs.relayYaml(dir.resolve("a"), "pop-a", servers, topic, "3s", "2s");
        Path snapshot = dir.resolve("a").resolve("directory.snapshot");
        try (RelayDaemon a = DirectoryLogs.startRelay(yamlA);
                DirectoryLogs.Api api = new DirectoryLogs.Api(a.managementAddress())) {
            assertThat(api.put("alice", body("alice", 8080, "alice.example.test"))
                            .statusCode())
                    .isEqualTo(201);
            Await.until(
                    WAIT,
                    "the snapshot written",
                    () -> Files.exists(snapshot) && readable(snapshot).contains("alice.example.test"));
            assertThat(api.get("/metrics").body())
                    .contains("relay_directory_snapshot_writes_total{pop=\"pop-a\",result=\"ok\"}");
        }
        Path yamlB = DirectoryLogs.relayYaml(dir.resolve("b"), "pop-b", servers, topic, "3s", "2s"); // no snapshot
        Path yamlC = DirectoryLogs.relayYaml(dir.resolve("c"), "pop-c", servers, topic, "3s", "2s");
        Files.writeString(
                dir.resolve("c").resolve("directory.snapshot"),
                "{\"format\":1,\"topic\":\"" + topic + "\",\"offset\":0,\"written_at\":\"nonsense\",\"operators\":[]}");

        broker.stop();
        try (RelayDaemon a = DirectoryLogs.startRelay(yamlA);
                RelayDaemon b = DirectoryLogs.startRelay(yamlB);
                RelayDaemon c = DirectoryLogs.startRelay(yamlC);
                DirectoryLogs.Api apiA = new DirectoryLogs.Api(a.managementAddress());
                DirectoryLogs.Api apiB = new DirectoryLogs.Api(b.managementAddress());
                DirectoryLogs.Api apiC = new DirectoryLogs.Api(c.managementAddress())) {
            // From the snapshot: routing, STALE, ready.
            assertThat(owner(a, "alice.example.test")).isEqualTo("alice");
            assertThat(status(apiA)).isEqualTo("STALE");
            assertThat(apiA.directory().get("offset").asLong()).isZero();
            assertThat(apiA.get("/readyz").statusCode()).isEqualTo(200);
            assertThat(apiA.json("/readyz").at("/checks/operators/last_error").asString())
                    .contains("routing from the snapshot");
            // No snapshot, or a corrupt one: no table, DOWN, not ready.
            for (DirectoryLogs.Api down : new DirectoryLogs.Api[] {apiB, apiC}) {
                assertThat(status(down)).isEqualTo("DOWN");
                HttpResponse<String> readyz = down.get("/readyz");
                assertThat(readyz.statusCode()).isEqualTo(503);
                assertThat(JsonMapper.shared()
                                .readTree(readyz.body())
                                .get("status")
                                .asString())
                        .isEqualTo("DOWN");
            }
            assertThat(owner(b, "alice.example.test")).isNull();
            assertThat(apiC.get("/metrics").body())
                    .contains("relay_directory_snapshot_loads_total{pop=\"pop-c\",result=\"corrupt\"} 1.0")
                    .contains("relay_directory_state{pop=\"pop-c\",state=\"down\"} 1.0");

            broker.restart();
            for (DirectoryLogs.Api up : new DirectoryLogs.Api[] {apiA, apiB, apiC}) {
                Await.until(WAIT, "UP once the log is back", () -> status(up).equals("UP"));
                assertThat(up.get("/readyz").statusCode()).isEqualTo(200);
            }
            assertThat(owner(b, "alice.example.test")).isEqualTo("alice");
            assertThat(owner(c, "alice.example.test")).isEqualTo("alice");
            HttpResponse<String> r = apiA.put("bob", body("bob", 9080, "bob.example.test"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            Await.until(WAIT, "pop-c routes bob", () -> "bob".equals(owner(c, "bob.example.test")));
        }
    }

    private static String readable(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
