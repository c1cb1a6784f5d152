package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.SecretFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An operator cannot point the data plane at the relay itself or its host: a direct upstream on the
 * relay's own listeners or management endpoint, on loopback (unless the config allows it), or on a
 * link-local or cloud metadata address is refused when the daemon starts, when the operators file
 * is reloaded, and through the admin API.
 */
class UpstreamReachTest {

    private static final String TOKEN = "upstream-reach-token";

    @TempDir
    Path dir;

    private final int httpPort = RelayHarness.freePort();
    private final int managementPort = RelayHarness.freePort();

    /** A config with fixed ports (the rules compare upstreams with them; port 0 is only known once bound). */
    private RelayConfig config(String extra) throws Exception {
        SecretFiles.write(dir.resolve("admin.token"), TOKEN + "\n");
        Files.writeString(dir.resolve("relay.yaml"), """
                pop: reach
                listen: { http: "127.0.0.1:%d" }
                management: { listen: "127.0.0.1:%d", token_file: admin.token }
                drain: { delay: 100ms, timeout: 5s }
                """.formatted(httpPort, managementPort) + extra);
        return switch (RelayConfigFile.read(dir.resolve("relay.yaml"))) {
            case Parsed.Ok<RelayConfig> ok -> ok.value();
            case Parsed.Invalid<RelayConfig> invalid -> throw new AssertionError(invalid.problems());
        };
    }

    private void operators(String name, String upstream) throws Exception {
        Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - { name: %s, hosts: [%s.example.test], upstream: { http: "%s" } }
                """.formatted(name, name, upstream));
    }

    @Test
    void startupRefusesALoopbackUpstreamUnlessTheConfigAllowsIt() throws Exception {
        operators("alice", "127.0.0.1:8080");
        RelayConfig strict = config("");
        assertThatThrownBy(() -> RelayDaemon.start(strict).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(dir.resolve("operators.yaml").toString())
                .hasMessageContaining(
                        "operators[0].upstream.http: \"127.0.0.1:8080\" (expected: not a loopback address");

        try (RelayDaemon daemon = RelayDaemon.start(config("upstreams: { allow_loopback: true }\n"))) {
            assertThat(daemon.routes().current().lookup("alice.example.test")).isNotNull();
        }
    }

    @Test
    void theApiAndReloadsRefuseUpstreamsReachingTheRelayEvenWithLoopbackAllowed() throws Exception {
        operators("alice", "10.0.10.1:80");
        try (RelayDaemon daemon = RelayDaemon.start(config("upstreams: { allow_loopback: true }\n"));
                HttpClient client = HttpClient.newHttpClient()) {
            String api = "http://127.0.0.1:" + managementPort + "/v1/operators/bob";
            String management = "127.0.0.1:" + managementPort;
            String listener = "127.0.0.1:" + httpPort;
            for (List<String> c : List.of(
                    List.of(management, "not the relay's own management.listen " + management + ")"),
                    List.of("[::ffff:127.0.0.1]:" + httpPort, "not the relay's own listen.http " + listener + ")"),
                    List.of("169.254.169.254:80", "not a link-local or cloud metadata address"),
                    List.of("[fd00:ec2::254]:80", "not a link-local or cloud metadata address"),
                    List.of("0.0.0.0:8080", "a specific address, not the unspecified address"))) {
                HttpResponse<String> r = put(client, api, c.get(0));
                assertThat(r.statusCode())
                        .as("PUT with upstream %s: %s", c.get(0), r.body())
                        .isEqualTo(400);
                JsonNode problems = JsonMapper.shared().readTree(r.body()).get("problems");
                assertThat(problems.get(0).asString())
                        .as("PUT with upstream %s", c.get(0))
                        .startsWith("operator.upstream.http: \"")
                        .contains("(expected: " + c.get(1));
            }
            assertThat(daemon.routes().current().lookup("bob.example.test")).isNull();
            assertThat(Files.readString(dir.resolve("operators.yaml"))).doesNotContain("bob");

            // Loopback is allowed by this config; a private address always is.
            assertThat(put(client, api, "127.0.0.1:8080").statusCode()).isEqualTo(201);
            assertThat(put(client, api, "10.0.20.7:8080").statusCode()).isEqualTo(200);

            // The same rules at a reload: the file is rejected whole, the table in force stays.
            operators("carol", "169.254.169.254:80");
            Await.until(Duration.ofSeconds(10), "the reload to be rejected", () -> {
                String error = daemon.health().operatorsError();
                return error != null
                        && error.contains("operators[0].upstream.http: \"169.254.169.254:80\" (expected: not a "
                                + "link-local or cloud metadata address");
            });
            assertThat(daemon.routes().current().lookup("carol.example.test")).isNull();
            assertThat(daemon.routes().current().lookup("alice.example.test")).isNotNull();
        }
    }

    private static HttpResponse<String> put(HttpClient client, String uri, String upstream) throws Exception {
        String body =
                "{\"name\":\"bob\",\"hosts\":[\"bob.example.test\"],\"upstream\":{\"http\":\"" + upstream + "\"}}";
        return client.send(
                HttpRequest.newBuilder(URI.create(uri))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + TOKEN)
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
