package co.airdress.relay.management;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayContext;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.drain.StandInTarget;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.wireguard.WireGuardRelayFixture;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** WireGuard operators through the admin API, the tunnel hook of the store, /v1/peers and readiness. */
class WireGuardApiTest {

    private static final String TOKEN = "wg-api-token";

    @TempDir
    Path dir;

    @Test
    void putsAWireguardOperatorWithTheFilesShapeAndAppliesItBeforeTheRouteTable() throws Exception {
        Files.writeString(dir.resolve("operators.yaml"), "operators: []\n");
        SecretFiles.write(dir.resolve("admin.token"), TOKEN);
        HealthState health = new HealthState("ams1");
        RelayMetrics metrics = new RelayMetrics("ams1");
        Routes routes = new Routes(RouteTable.empty());
        WireGuardConfig tunnel = WireGuardRelayFixture.tunnelConfig(dir);
        List<String> applied = new CopyOnWriteArrayList<>();
        List<Long> routeVersionsSeen = new CopyOnWriteArrayList<>();
        OperatorDirectory store = new OperatorDirectory(
                        dir.resolve("operators.yaml"), routes, health, metrics, Duration.ofMillis(50))
                .relay(RelayContext.of(tunnel, RelayConfig.Upstreams.DEFAULT))
                .beforeApply(ops -> {
                    applied.add(ops.stream().map(Operator::name).toList().toString());
                    routeVersionsSeen.add(routes.current().version());
                });
        store.start();
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ofSeconds(30), Duration.ofMinutes(5)), health, new StandInTarget());
        ManagementServer server = new ManagementServer(
                new RelayConfig.Management(new InetSocketAddress("127.0.0.1", 0), dir.resolve("admin.token")),
                health,
                metrics,
                store,
                drain);
        try (Http http = new Http(server.start())) {
            String key = WireGuardRelayFixture.newPublicKey();
            String body = "{\"name\":\"bob\",\"hosts\":[\"bob.example.test\"],\"wireguard\":{\"public_key\":\"" + key
                    + "\",\"address\":\"fd00:a1d::b0b\"},\"proxy_protocol\":\"none\"}";
            HttpResponse<String> created = http.send("PUT", "/v1/operators/bob", TOKEN, body);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonMapper json = JsonMapper.shared();
            assertThat(json.readTree(created.body())).isEqualTo(json.readTree(body));
            // GET adds where the operator's tunnel is attached: nowhere without a directory on Kafka.
            assertThat(json.readTree(http.get("/v1/operators/bob", TOKEN).body()))
                    .isEqualTo(json.readTree(body.replaceFirst("}$", ",\"attachment\":null}")));
            assertThat(Files.readString(dir.resolve("operators.yaml")))
                    .contains("wireguard:")
                    .contains(key);
            assertThat(applied).last().isEqualTo("[bob]");
            // The hook ran while the previous table was still in force.
            assertThat(routeVersionsSeen.getLast()).isLessThan(routes.current().version());

            HttpResponse<String> outside = http.send(
                    "PUT",
                    "/v1/operators/eve",
                    TOKEN,
                    body.replace("bob", "eve")
                            .replace("fd00:a1d::b0b", "fd00:beef::1")
                            .replace(key, WireGuardRelayFixture.newPublicKey()));
            assertThat(outside.statusCode()).isEqualTo(400);
            assertThat(outside.body())
                    .contains("operator.wireguard.address: \\\"fd00:beef::1\\\" (expected: inside one of");

            // No tunnel wired into this server: an empty list, not an error.
            JsonNode peers = json.readTree(http.get("/v1/peers", TOKEN).body());
            assertThat(peers.get("interface").isNull()).isTrue();
            assertThat(peers.get("peers").size()).isZero();

            health.listener("http", true);
            assertThat(http.get("/readyz").statusCode()).isEqualTo(200);
            health.tunnel(false);
            HttpResponse<String> down = http.get("/readyz");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(json.readTree(down.body()).at("/checks/tunnel/status").stringValue())
                    .isEqualTo("DOWN");
        } finally {
            server.close();
            store.close();
        }
    }
}
