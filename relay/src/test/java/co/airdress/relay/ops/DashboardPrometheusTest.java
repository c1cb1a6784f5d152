package co.airdress.relay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The Grafana dashboard and the alerting rules against real data: Debian's Prometheus, with the
 * sample scrape config (docker/prometheus/prometheus.yml, scraping every second) and the alerting
 * rules, scrapes a running relay and its controller ({@link ObservedPop}, its operators from the
 * operator directory on a Kafka broker, so that the directory's metrics are there too) under a
 * little load (relayed HTTP and TLS, an unknown host, 502s); then every panel's PromQL, its
 * variables filled in, goes through Prometheus's HTTP API and must return data, and every metric
 * the alerts use must exist. A typo'd metric name or label fails here.
 */
class DashboardPrometheusTest {

    static final Path DASHBOARD = Path.of("..", "docker", "grafana", "relay-pops.json")
            .toAbsolutePath()
            .normalize();

    private static final String PROMETHEUS = "127.0.0.1:9099";
    private static final String RATE_INTERVAL = "15s";

    @TempDir
    Path dir;

    /** Every panel's title and its targets' expressions, rows included. */
    static Map<String, List<String>> panelExpressions() throws Exception {
        JsonNode dashboard = JsonBodies.MAPPER.readTree(DASHBOARD.toFile());
        Map<String, List<String>> out = new LinkedHashMap<>();
        collect(dashboard.get("panels"), out);
        return out;
    }

    private static void collect(JsonNode panels, Map<String, List<String>> out) {
        for (JsonNode panel : panels) {
            if (panel.has("panels")) {
                collect(panel.get("panels"), out);
            }
            if (!panel.has("targets")) {
                continue;
            }
            String title = panel.get("title").asString();
            assertThat(out).as("panel titles are unique: " + title).doesNotContainKey(title);
            List<String> exprs = new ArrayList<>();
            for (JsonNode target : panel.get("targets")) {
                exprs.add(target.get("expr").asString());
            }
            out.put(title, exprs);
        }
    }

    @Test
    void everyPanelAndEveryAlertFindsItsDataInARealPrometheus() throws Exception {
        String prometheus = Prerequisites.tool("prometheus").toString();
        Map<String, List<String>> panels = panelExpressions();
        assertThat(panels).hasSizeGreaterThan(20);

        try (ObservedPop pop =
                ObservedPop.start(dir, "obs-prom", Duration.ofSeconds(10), ObservedPop.Directory.KAFKA)) {
            Path config = writeConfig();
            try (ExternalProcess server = pop.namespace()
                    .start(
                            "prometheus",
                            prometheus,
                            "--config.file=" + config,
                            "--storage.tsdb.path=" + dir.resolve("tsdb"),
                            "--storage.tsdb.retention.time=1h",
                            "--web.listen-address=" + PROMETHEUS)) {
                Await.until(Duration.ofSeconds(60), "both targets up; prometheus:\n" + server, () -> {
                    if (!server.process().isAlive()) {
                        throw new AssertionError("prometheus exited: " + server.output());
                    }
                    return query(pop, "sum(up{pop=\"" + ObservedPop.POP + "\"}) == 2")
                                    .path("data")
                                    .path("result")
                                    .size()
                            == 1;
                });
                // Traffic over a few scrapes, so that rates have two samples on each side of it.
                for (int i = 0; i < 3; i++) {
                    pop.load();
                    Thread.sleep(1500);
                }

                for (var panel : panels.entrySet()) {
                    for (String expr : panel.getValue()) {
                        String promql =
                                expr.replace("$__rate_interval", RATE_INTERVAL).replace("$pop", ObservedPop.POP);
                        assertThat(promql).as(panel.getKey()).doesNotContain("$");
                        String[] last = {""};
                        try {
                            Await.until(Duration.ofSeconds(30), "data for panel '" + panel.getKey() + "'", () -> {
                                JsonNode answer = query(pop, promql);
                                last[0] = answer.toString();
                                assertThat(answer.path("status").asString())
                                        .as(promql + " -> " + last[0])
                                        .isEqualTo("success");
                                return !answer.path("data").path("result").isEmpty();
                            });
                        } catch (AssertionError e) {
                            throw new AssertionError(e.getMessage() + ": " + promql + "\nlast answer: " + last[0], e);
                        }
                    }
                }

                // The alerting rules: loaded and evaluated without error, on metrics that exist.
                JsonNode rules = get(pop, "/api/v1/rules");
                int evaluated = 0;
                for (JsonNode group : rules.path("data").path("groups")) {
                    for (JsonNode rule : group.path("rules")) {
                        assertThat(rule.path("health").asString())
                                .as(rule.path("name").asString() + ": "
                                        + rule.path("lastError").asString(""))
                                .isIn("ok", "unknown");
                        evaluated++;
                    }
                }
                assertThat(evaluated).isEqualTo(AlertRulesTest.alerts().size());
                Set<String> names = new TreeSet<>();
                get(pop, "/api/v1/label/__name__/values").path("data").forEach(n -> names.add(n.asString()));
                Set<String> used = new TreeSet<>();
                Pattern metric = Pattern.compile("\\b(?:relay|anycast|process|jvm)_[a-z0-9_]+");
                for (JsonNode rule : AlertRulesTest.alerts().values()) {
                    Matcher m = metric.matcher(rule.get("expr").asString());
                    while (m.find()) {
                        used.add(m.group());
                    }
                }
                assertThat(names).as("metrics the alerts use").containsAll(used);
            }
        }
    }

    /** The sample scrape config with this test's PoP, a 1 s scrape and the rules by absolute path. */
    private Path writeConfig() throws Exception {
        String sample = Files.readString(AlertRulesTest.PROMETHEUS.resolve("prometheus.yml"));
        String config = sample.replace("scrape_interval: 15s", "scrape_interval: 1s")
                .replace("scrape_timeout: 5s", "scrape_timeout: 1s")
                .replace("evaluation_interval: 15s", "evaluation_interval: 1s")
                .replace("  - alerts.yml", "  - " + AlertRulesTest.PROMETHEUS.resolve("alerts.yml"))
                .replace("pop: pop1", "pop: " + ObservedPop.POP);
        assertThat(config).contains("scrape_interval: 1s").contains("pop: " + ObservedPop.POP);
        assertThat(config)
                .contains("\"" + ObservedPop.MANAGEMENT + "\"")
                .contains("\"" + ObservedPop.CONTROLLER + "\"");
        Path file = dir.resolve("prometheus.yml");
        Files.writeString(file, config);
        return file;
    }

    private static JsonNode query(ObservedPop pop, String promql) {
        ExternalProcess.Result r =
                pop.curl("-s", "--data-urlencode", "query=" + promql, "http://" + PROMETHEUS + "/api/v1/query");
        // Not answering yet (curl fails, or "Service Unavailable" while it starts): no data.
        String body = r.output().strip();
        return JsonBodies.MAPPER.readTree(r.exitCode() == 0 && body.startsWith("{") ? body : "{}");
    }

    private static JsonNode get(ObservedPop pop, String path) {
        ExternalProcess.Result r = pop.curl("-s", "http://" + PROMETHEUS + path);
        assertThat(r.exitCode()).as(r.output()).isZero();
        return JsonBodies.MAPPER.readTree(r.output());
    }
}
