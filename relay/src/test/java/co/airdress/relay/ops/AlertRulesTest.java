package co.airdress.relay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The alerting rules in docker/prometheus: valid for Debian's promtool, each with a summary, a
 * description and a runbook section in docs/alerts.md, and each tested by alerts_test.yml both
 * firing and staying quiet; then {@code promtool test rules} runs those tests.
 */
class AlertRulesTest {

    static final Path PROMETHEUS =
            Path.of("..", "docker", "prometheus").toAbsolutePath().normalize();
    static final Path RUNBOOK =
            Path.of("..", "docs", "alerts.md").toAbsolutePath().normalize();

    private static final YAMLMapper YAML = new YAMLMapper();

    /** Every alerting rule by name, from alerts.yml. */
    static Map<String, JsonNode> alerts() throws Exception {
        Map<String, JsonNode> alerts = new LinkedHashMap<>();
        for (JsonNode group :
                YAML.readTree(PROMETHEUS.resolve("alerts.yml").toFile()).get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                if (rule.has("alert")) {
                    alerts.put(rule.get("alert").asString(), rule);
                }
            }
        }
        return alerts;
    }

    @Test
    void everyAlertIsDescribedAndHasItsRunbookSection() throws Exception {
        Map<String, JsonNode> alerts = alerts();
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(15);
        String runbook = Files.readString(RUNBOOK);
        Set<String> anchors = new TreeSet<>();
        Matcher headings = Pattern.compile("(?m)^### (\\w+)$").matcher(runbook);
        while (headings.find()) {
            anchors.add(headings.group(1).toLowerCase(Locale.ROOT));
        }
        for (var e : alerts.entrySet()) {
            JsonNode annotations = e.getValue().get("annotations");
            assertThat(annotations).as(e.getKey()).isNotNull();
            assertThat(annotations.path("summary").asString(""))
                    .as(e.getKey() + " summary")
                    .isNotBlank();
            assertThat(annotations.path("description").asString(""))
                    .as(e.getKey() + " description")
                    .isNotBlank();
            String anchor = e.getKey().toLowerCase(Locale.ROOT);
            assertThat(annotations.path("runbook").asString(""))
                    .as(e.getKey() + " runbook")
                    .isEqualTo("docs/alerts.md#" + anchor);
            assertThat(anchors)
                    .as("a '### %s' section in docs/alerts.md", e.getKey())
                    .contains(anchor);
            assertThat(e.getValue().path("labels").path("severity").asString(""))
                    .as(e.getKey() + " severity")
                    .isIn("critical", "warning");
        }
        assertThat(anchors)
                .as("runbook sections without an alert")
                .isSubsetOf(alerts.keySet().stream()
                        .map(a -> a.toLowerCase(Locale.ROOT))
                        .toList());
    }

    @Test
    void everyAlertHasACaseThatFiresAndOneThatDoesNot() throws Exception {
        Set<String> fires = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        JsonNode tests = YAML.readTree(PROMETHEUS.resolve("alerts_test.yml").toFile());
        assertThat(tests.get("rule_files").get(0).asString()).isEqualTo("alerts.yml");
        for (JsonNode test : tests.get("tests")) {
            for (JsonNode check : test.get("alert_rule_test")) {
                String name = check.get("alertname").asString();
                (check.get("exp_alerts").isEmpty() ? quiet : fires).add(name);
            }
        }
        Set<String> alerts = alerts().keySet();
        assertThat(fires).as("alerts with a case that fires").containsAll(alerts);
        assertThat(quiet).as("alerts with a case that stays quiet").containsAll(alerts);
        assertThat(alerts).as("tested alerts that do not exist").containsAll(fires);
    }

    @Test
    void promtoolAcceptsTheRulesAndTheScrapeConfigAndPassesTheTests() {
        String promtool = Prerequisites.tool("promtool").toString();
        List<List<String>> commands = new ArrayList<>();
        commands.add(List.of(
                promtool, "check", "rules", PROMETHEUS.resolve("alerts.yml").toString()));
        commands.add(List.of(
                promtool,
                "check",
                "config",
                PROMETHEUS.resolve("prometheus.yml").toString()));
        commands.add(List.of(
                promtool, "test", "rules", PROMETHEUS.resolve("alerts_test.yml").toString()));
        for (List<String> command : commands) {
            ExternalProcess.Result r =
                    ExternalProcess.runAllowingFailure(Duration.ofSeconds(120), command, null, Map.of());
            assertThat(r.exitCode())
                    .as(String.join(" ", command) + "\n" + r.output())
                    .isZero();
            assertThat(r.output()).contains("SUCCESS").doesNotContain("FAILED");
        }
    }
}
