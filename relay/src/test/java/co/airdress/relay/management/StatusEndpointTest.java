package co.airdress.relay.management;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.directory.OperatorFixtures;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.drain.StandInTarget;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.Await;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET / and /status on the management listener: the page, its headers, and what it must not show. */
class StatusEndpointTest {

    @TempDir
    Path dir;

    private final HealthState health = new HealthState("ams1");
    private final RelayMetrics metrics = new RelayMetrics("ams1");
    private OperatorDirectory operators;
    private ManagementServer server;
    private Http http;

    @BeforeEach
    void start() throws Exception {
        Path file = dir.resolve("operators.yaml");
        Files.writeString(file, ManagementServerTest.ALICE_YAML);
        operators = new OperatorDirectory(file, new Routes(RouteTable.empty()), health, metrics, Duration.ofMillis(50))
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
        operators.start();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        RelayConfig config = new RelayConfig(
                "ams1",
                new RelayConfig.Listen(any, any),
                new RelayConfig.Management(any, null),
                file,
                RelayConfigFile.DEFAULT_LIMITS,
                RelayConfigFile.DEFAULT_TIMEOUTS,
                RelayConfigFile.DEFAULT_DRAIN);
        DrainCoordinator drain = new DrainCoordinator(config.drain(), health, new StandInTarget());
        health.listener("http", true);
        health.listener("tls", true);
        server = new ManagementServer(config.management(), health, metrics, operators, drain)
                .statusPage(new PopStatus(config, health, operators, new DataPathMetrics(metrics.registry()), null));
        http = new Http(server.start());
    }

    @AfterEach
    void stop() {
        http.close();
        server.close();
        operators.close();
    }

    @Test
    void servesThePageAtTheRootAndAtStatus() {
        for (String path : new String[] {"/", "/status"}) {
            HttpResponse<String> r = http.get(path);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(StatusPage.CONTENT_SECURITY_POLICY);
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(r.body())
                    .contains("<span id=\"pop\">ams1</span>")
                    .contains("id=\"readiness\" class=\"big ok\">UP<")
                    .contains("<tr data-operator=\"alice\">")
                    .contains("alice.example.test, *.alice.example.test")
                    .contains("<tr data-listener=\"http\">");
            // checks.directory of /readyz: the operators file, loaded.
            assertThat(r.body())
                    .containsPattern("<tr data-check=\"directory\"><td>directory</td><td class=\"ok\">UP</td>"
                            + "<td><pre>source file, last applied [0-9T:.Z-]+</pre></td></tr>");
        }
        HttpResponse<String> head = http.send("HEAD", "/", null, null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> post = http.send("POST", "/status", null, "x");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void showsNoUpstreamAddressNorAnythingSecret() {
        String page = http.get("/").body();
        // alice's upstreams are 127.0.0.1:8080 and :8443: internal addresses, not shown.
        assertThat(page).doesNotContain("8080").doesNotContain("8443").doesNotContain("127.0.0.1");
        assertThat(page).doesNotContain("token").doesNotContain("private");
    }

    @Test
    void aRejectedReloadIsListedEscaped() throws Exception {
        Files.writeString(
                dir.resolve("operators.yaml"),
                "operators:\n  - name: \"<script>alert(1)</script>\"\n    hosts: [\"a.example.test\"]\n"
                        + "    upstream: { http: \"127.0.0.1:8080\" }\n");
        Await.until(
                Duration.ofSeconds(10),
                "the rejected reload on the page",
                () -> http.get("/status").body().contains("<b>operators file</b>"));
        String page = http.get("/status").body();
        assertThat(page).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script");
        // Still UP: the previous table is in force.
        assertThat(page).contains("id=\"readiness\" class=\"big ok\">UP<");
    }

    @Test
    void aLongListShowsTheFirstOperatorsAndCountsTheRest() throws Exception {
        StringBuilder file = new StringBuilder("operators:\n");
        int n = PopStatus.MAX_OPERATOR_ROWS + 10;
        for (int i = 0; i < n; i++) {
            file.append("  - name: op")
                    .append(i)
                    .append("\n    hosts: [\"op")
                    .append(i)
                    .append(".example.test\"]\n    upstream: { http: \"127.0.0.1:8080\" }\n");
        }
        Files.writeString(dir.resolve("operators.yaml"), file.toString());
        Await.until(Duration.ofSeconds(10), "the long list applied", () -> operators.size() == n);
        String page = http.get("/").body();
        assertThat(page).contains("<h2>Operators (" + n + ")</h2>");
        assertThat(page.split("<tr data-operator=", -1)).hasSize(PopStatus.MAX_OPERATOR_ROWS + 1);
        assertThat(page).contains("<p id=\"operators-not-shown\" class=\"muted\">10 more not shown");
    }

    @Test
    void withoutAStatusPageThePathsAreUnknown() throws Exception {
        ManagementServer bare = new ManagementServer(
                new RelayConfig.Management(new InetSocketAddress("127.0.0.1", 0), null),
                health,
                metrics,
                operators,
                new DrainCoordinator(RelayConfigFile.DEFAULT_DRAIN, health, new StandInTarget()));
        try (Http h = new Http(bare.start())) {
            assertThat(h.get("/").statusCode()).isEqualTo(404);
            assertThat(h.get("/status").statusCode()).isEqualTo(404);
        } finally {
            bare.close();
        }
    }
}
