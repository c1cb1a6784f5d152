package co.airdress.relay.management;

import static co.airdress.relay.directory.OperatorFixtures.reread;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.directory.OperatorFixtures;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.drain.StandInTarget;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.SecretFiles;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ManagementServerTest {

    static final String TOKEN = "s3cret-token-for-tests";
    static final String ALICE_YAML = """
            operators:
              - name: alice
                hosts: ["alice.example.test", "*.alice.example.test"]
                upstream: { http: "127.0.0.1:8080", tls: "127.0.0.1:8443" }
                proxy_protocol: v2
            """;

    @TempDir
    Path dir;

    private final JsonMapper json = JsonMapper.shared();
    private final AtomicInteger active = new AtomicInteger();
    private @Nullable Fixture fixture;

    /** A store, a drain and a server wired together, with or without a token file. */
    final class Fixture implements AutoCloseable {
        final HealthState health = new HealthState("ams1");
        final RelayMetrics metrics = new RelayMetrics("ams1");
        final Routes routes = new Routes(RouteTable.empty());
        final Path operatorsFile = dir.resolve("operators.yaml");
        final OperatorDirectory store;
        final DrainCoordinator drain;
        final ManagementServer server;
        final Http http;

        Fixture(boolean withToken, boolean startStore) throws IOException {
            this(withToken, startStore, ManagementServer.IDLE_TIMEOUT, null);
        }

        Fixture(boolean withToken, boolean startStore, Duration idle, @Nullable EventLoopGroup loops)
                throws IOException {
            this(withToken, startStore, ManagementServer.REQUEST_TIMEOUT, idle, loops);
        }

        Fixture(
                boolean withToken,
                boolean startStore,
                Duration requestTimeout,
                Duration idle,
                @Nullable EventLoopGroup loops)
                throws IOException {
            Files.writeString(operatorsFile, ALICE_YAML);
            Path tokenFile = null;
            if (withToken) {
                tokenFile = dir.resolve("admin.token");
                SecretFiles.write(tokenFile, TOKEN + "\n");
            }
            store = new OperatorDirectory(operatorsFile, routes, health, metrics, Duration.ofMillis(50))
                    .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
            if (startStore) {
                store.start();
            }
            drain = new DrainCoordinator(
                    new RelayConfig.Drain(Duration.ofSeconds(30), Duration.ofMinutes(5)),
                    health,
                    new StandInTarget(active::get));
            server = new ManagementServer(
                    new RelayConfig.Management(new InetSocketAddress("127.0.0.1", 0), tokenFile),
                    health,
                    metrics,
                    store,
                    drain,
                    requestTimeout,
                    idle);
            if (loops != null) {
                server.watchEventLoops(loops);
            }
            http = new Http(server.start());
        }

        @Override
        public void close() {
            http.close();
            server.close();
            store.close();
        }
    }

    private Fixture fixture(boolean withToken) throws IOException {
        fixture = new Fixture(withToken, true);
        return fixture;
    }

    @AfterEach
    void tearDown() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private JsonNode body(HttpResponse<String> r) {
        return json.readTree(r.body());
    }

    // ---- health ----

    @Test
    void livezAnswersFromTheEventLoop() throws IOException {
        Fixture f = fixture(false);
        HttpResponse<String> r = f.http.get("/livez");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(body(r).get("status").asString()).isEqualTo("UP");
        assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
    }

    @Test
    void livezChecksThatEveryWatchedEventLoopAnswers() throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        CountDownLatch release = new CountDownLatch(1);
        try {
            fixture = new Fixture(false, true, ManagementServer.IDLE_TIMEOUT, loops);
            HttpResponse<String> r = fixture.http.get("/livez");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(body(r).get("event_loops").asInt()).isEqualTo(2);

            // Block one loop, as a blocking call on an event loop would.
            var it = loops.iterator();
            it.next();
            it.next().execute(() -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            r = fixture.http.get("/livez");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(body(r).get("status").asString()).isEqualTo("DOWN");
            assertThat(body(r).get("stuck").values())
                    .extracting(JsonNode::asString)
                    .containsExactly("event-loop-1");

            release.countDown();
            Await.until(
                    Duration.ofSeconds(10),
                    "livez UP again",
                    () -> fixture.http.get("/livez").statusCode() == 200);
        } finally {
            release.countDown();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        fixture = new Fixture(false, true, Duration.ofMillis(200), null);
        try (Socket s = new Socket()) {
            s.connect(fixture.server.boundAddress());
            s.setSoTimeout(10_000);
            assertThat(s.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        }
    }

    @Test
    void readyzGoesFromDownToUpToDrainingWithItsChecks() throws IOException {
        Fixture f = fixture(true);

        // Operators loaded, but no listener bound yet: not ready.
        HttpResponse<String> r = f.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        JsonNode b = body(r);
        assertThat(b.get("status").asString()).isEqualTo("DOWN");
        assertThat(b.at("/checks/listeners/status").asString()).isEqualTo("DOWN");
        assertThat(b.at("/checks/operators/status").asString()).isEqualTo("UP");

        f.health.listener("http", true);
        f.health.listener("tls", true);
        active.set(7);
        r = f.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(200);
        b = body(r);
        assertThat(b.get("status").asString()).isEqualTo("UP");
        assertThat(b.get("pop").asString()).isEqualTo("ams1");
        assertThat(b.get("draining").asBoolean()).isFalse();
        assertThat(b.get("active_connections").asInt()).isEqualTo(7);
        assertThat(b.at("/checks/listeners/http").asString()).isEqualTo("UP");
        assertThat(b.at("/checks/listeners/tls").asString()).isEqualTo("UP");
        assertThat(b.at("/checks/operators/route_version").asLong())
                .isEqualTo(f.routes.current().version());
        assertThat(b.at("/checks/draining/status").asString()).isEqualTo("UP");

        f.health.listener("tls", false);
        r = f.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(body(r).get("status").asString()).isEqualTo("DOWN");
        assertThat(body(r).at("/checks/listeners/tls").asString()).isEqualTo("DOWN");
        f.health.listener("tls", true);

        f.drain.start("test");
        r = f.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        b = body(r);
        assertThat(b.get("status").asString()).isEqualTo("DRAINING");
        assertThat(b.get("draining").asBoolean()).isTrue();
        assertThat(b.get("drain_started_at").asString()).isNotBlank();
        assertThat(b.at("/checks/draining/status").asString()).isEqualTo("DRAINING");
    }

    @Test
    void readyzHasTheDirectoryCheckOfAFileDirectory() throws IOException {
        fixture = new Fixture(false, false);
        fixture.health.listener("http", true);
        JsonNode down = body(fixture.http.get("/readyz")).at("/checks/directory");
        assertThat(down.get("status").asString()).isEqualTo("DOWN");
        assertThat(down.get("source").asString()).isEqualTo("file");

        fixture.store.start();
        HttpResponse<String> r = fixture.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode d = body(r).at("/checks/directory");
        assertThat(d.get("status").asString()).isEqualTo("UP");
        assertThat(d.get("source").asString()).isEqualTo("file");
        assertThat(d.get("offset").isNull()).isTrue();
        assertThat(d.get("lag").isNull()).isTrue();
        assertThat(d.get("last_applied_at").asString()).isNotBlank();
    }

    @Test
    void readyzIsDownWhileOperatorsWereNeverLoaded() throws IOException {
        fixture = new Fixture(false, false);
        fixture.health.listener("http", true);
        HttpResponse<String> r = fixture.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(body(r).get("status").asString()).isEqualTo("DOWN");
        assertThat(body(r).at("/checks/operators/status").asString()).isEqualTo("DOWN");
    }

    @Test
    void aRejectedReloadIsReportedButNotDown() throws IOException {
        Fixture f = fixture(false);
        f.health.listener("http", true);
        Files.writeString(f.operatorsFile, "operators:\n  - name: Not Valid!\n    hosts: [\"*.com\"]\n");
        assertThat(f.store.reloadNow()).isEqualTo(OperatorDirectory.Reload.INVALID);

        HttpResponse<String> r = f.http.get("/readyz");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode b = body(r);
        assertThat(b.get("status").asString()).isEqualTo("UP");
        assertThat(b.at("/checks/operators/last_error").asString())
                .contains(f.operatorsFile.toString())
                .contains("operators[0].name")
                .contains("operators[0].hosts[0]");
    }

    @Test
    void metricsAreServedInPrometheusText() throws IOException {
        Fixture f = fixture(false);
        HttpResponse<String> r = f.http.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.body())
                .contains("relay_operators_reload_total{pop=\"ams1\",result=\"ok\"} 1.0")
                .contains("relay_operators_reload_total{pop=\"ams1\",result=\"invalid\"} 0.0")
                .contains("relay_operators_reload_total{pop=\"ams1\",result=\"io_error\"} 0.0")
                .contains("relay_route_table_size{pop=\"ams1\"} 2.0")
                .contains("relay_route_table_version{pop=\"ams1\"} 1.0");
    }

    @Test
    void unknownPathsAre404AndWrongMethods405WithAllow() throws IOException {
        Fixture f = fixture(true);
        assertThat(f.http.get("/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> r = f.http.send("POST", "/readyz", null, "{}");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue("GET, HEAD");
        r = f.http.send("GET", "/v1/drain", null, null);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue("POST");
        r = f.http.send("POST", "/v1/operators/alice", TOKEN, "{}");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue("GET, PUT, DELETE");
    }

    @Test
    void malformedAndOversizedHeadsAreRefused() throws Exception {
        Fixture f = fixture(false);
        assertThat(rawStatus(f, "GARBAGE\r\n\r\n")).isEqualTo(400);
        assertThat(rawStatus(f, "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))
                .isEqualTo(414);
        assertThat(rawStatus(f, "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"))
                .isEqualTo(431);
    }

    private static int rawStatus(Fixture f, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(f.server.boundAddress());
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 ");
            return Integer.parseInt(response.substring(9, 12));
        }
    }

    @Test
    void aTooLargeBodyIs413() throws IOException {
        Fixture f = fixture(true);
        String big = "{\"name\":\"bob\",\"hosts\":[\"" + "a".repeat(ManagementServer.MAX_BODY) + "\"]}";
        HttpResponse<String> r = f.http.send("PUT", "/v1/operators/bob", TOKEN, big);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(f.store.get("bob")).isNull();
    }

    @Test
    void aKeepAliveConnectionServesPipelinedRequests() throws Exception {
        Fixture f = fixture(false);
        try (Socket s = new Socket()) {
            s.connect(f.server.boundAddress());
            String req = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
            s.getOutputStream().write((req + req).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.setSoTimeout(5000);
            byte[] buf = new byte[4096];
            StringBuilder got = new StringBuilder();
            while (got.toString().split("HTTP/1.1 200 OK", -1).length < 3) {
                int n = s.getInputStream().read(buf);
                assertThat(n).isPositive();
                got.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void pipelinedRequestsBehindAnOperatorChangeAreAnsweredInOrder() throws Exception {
        Fixture f = fixture(true);
        String body = bob("bob.example.test");
        String put = "PUT /v1/operators/bob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + body;
        String get = "GET /v1/operators/bob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n";
        String last = "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        try (Socket s = new Socket()) {
            s.connect(f.server.boundAddress());
            s.setSoTimeout(10_000);
            s.getOutputStream().write((put + get + last).getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // The GET sees the PUT's effect: it was not answered before the change completed.
            assertThat(all)
                    .containsSubsequence(
                            "HTTP/1.1 201 Created",
                            "HTTP/1.1 200 OK",
                            "\"bob.example.test\"",
                            "HTTP/1.1 200 OK",
                            "\"status\":\"UP\"");
        }
    }

    // ---- protections: no connection holds the listener, no client makes it buffer without bound ----

    @Test
    void aRequestDrippedByteByByteIsClosedAtItsDeadline() throws Exception {
        fixture = new Fixture(false, true, Duration.ofMillis(500), ManagementServer.IDLE_TIMEOUT, null);
        try (Socket s = new Socket()) {
            s.connect(fixture.server.boundAddress());
            OutputStream out = s.getOutputStream();
            out.write("GET /readyz HTTP/1.1\r\nHost: x\r\nX-Drip: ".getBytes(StandardCharsets.US_ASCII));
            // Never idle: a byte every few milliseconds, far more often than any idle timeout.
            Await.until(Duration.ofSeconds(30), "the server to close the dripping connection", () -> {
                try {
                    out.write('a');
                    out.flush();
                    return false;
                } catch (IOException e) {
                    return true;
                }
            });
        }
        assertThat(fixture.metrics.scrape())
                .containsPattern(
                        "relay_management_connections_dropped_total\\{pop=\"ams1\",reason=\"request_timeout\"} [1-9]");
    }

    @Test
    void aClientThatDoesNotReadItsAnswersIsClosedInsteadOfBuffered() throws Exception {
        Fixture f = fixture(false);
        // Make each /metrics answer a few hundred KiB, beyond what the socket buffers take.
        for (int i = 0; i < 2000; i++) {
            io.micrometer.core.instrument.Counter.builder("test.padding.series")
                    .tag("n", "padding-" + i)
                    .register(f.metrics.registry());
        }
        int requests = 200;
        byte[] pipelined =
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(requests).getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(f.server.boundAddress());
            // All in one write (one read for the server), then never read.
            s.getOutputStream().write(pipelined);
            s.getOutputStream().flush();
            Await.until(
                    Duration.ofSeconds(30),
                    "the server to close the connection that does not read its answers",
                    () -> f.metrics
                            .scrape()
                            .contains(
                                    "relay_management_connections_dropped_total{pop=\"ams1\",reason=\"too_many_waiting\"} 1.0"));
            s.setSoTimeout(10_000);
            byte[] buf = new byte[64 * 1024];
            long answers = 0;
            try {
                for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                    answers += new String(buf, 0, n, StandardCharsets.US_ASCII).split("HTTP/1.1 200 OK", -1).length - 1;
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("still open after " + answers + " answers", e);
            } catch (IOException e) {
                // reset: closed with requests unread
            }
            assertThat(answers).isLessThan(requests);
        }
    }

    // ---- admin API: auth ----

    @Test
    void withoutATokenFileMutatingCallsAreRefusedWith403() throws IOException {
        Fixture f = fixture(false);
        HttpResponse<String> r = f.http.send("PUT", "/v1/operators/bob", "anything", bob("bob.example.test"));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(body(r).get("error").asString()).contains("token_file");
        assertThat(f.http.send("DELETE", "/v1/operators/alice", "anything", null)
                        .statusCode())
                .isEqualTo(403);
        assertThat(f.http.send("POST", "/v1/drain", "anything", null).statusCode())
                .isEqualTo(403);
        assertThat(f.health.isDraining()).isFalse();
        // Reads stay open.
        assertThat(f.http.get("/v1/operators").statusCode()).isEqualTo(200);
    }

    @Test
    void aMissingOrWrongTokenIs401WithWwwAuthenticate() throws IOException {
        Fixture f = fixture(true);
        HttpResponse<String> r = f.http.send("PUT", "/v1/operators/bob", null, bob("bob.example.test"));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("www-authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        r = f.http.send("PUT", "/v1/operators/bob", TOKEN + "x", bob("bob.example.test"));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("www-authenticate"))
                .hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
        assertThat(r.body()).doesNotContain(TOKEN);
        assertThat(f.store.get("bob")).isNull();
    }

    @Test
    void withATokenFileReadsOfV1NeedTheTokenWhileHealthAndMetricsStayOpen() throws IOException {
        Fixture f = fixture(true);
        for (String path : List.of("/v1/operators", "/v1/operators/alice", "/v1/operators/nobody", "/v1/peers")) {
            HttpResponse<String> r = f.http.get(path);
            assertThat(r.statusCode()).as("GET %s without a token", path).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(r.body()).doesNotContain("127.0.0.1:8080").doesNotContain("alice.example.test");
            r = f.http.get(path, TOKEN + "x");
            assertThat(r.statusCode()).as("GET %s with a wrong token", path).isEqualTo(401);
            assertThat(r.body()).doesNotContain("127.0.0.1:8080");
        }
        HttpResponse<String> r = f.http.get("/v1/operators", TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("127.0.0.1:8080");
        assertThat(f.http.get("/v1/operators/alice", TOKEN).statusCode()).isEqualTo(200);
        assertThat(f.http.get("/v1/operators/nobody", TOKEN).statusCode()).isEqualTo(404);
        assertThat(f.http.get("/v1/peers", TOKEN).statusCode()).isEqualTo(200);

        assertThat(f.http.get("/livez").statusCode()).isEqualTo(200);
        assertThat(f.http.get("/readyz").statusCode())
                .as("answered (not ready: no listener)")
                .isEqualTo(503);
        assertThat(f.http.get("/metrics").statusCode()).isEqualTo(200);
    }

    // ---- admin API: changes ----

    static String bob(String... hosts) {
        StringBuilder h = new StringBuilder();
        for (String host : hosts) {
            h.append(h.isEmpty() ? "" : ",").append('"').append(host).append('"');
        }
        return """
                {"name":"bob","hosts":[%s],"upstream":{"http":"127.0.0.1:9080"},"proxy_protocol":"v1"}
                """.formatted(h);
    }

    @Test
    void createReadUpdateDeleteArePersistedAndRouted() throws IOException {
        Fixture f = fixture(true);

        HttpResponse<String> r = f.http.send("PUT", "/v1/operators/bob", TOKEN, bob("bob.example.test"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode created = body(r);
        assertThat(created.get("name").asString()).isEqualTo("bob");
        assertThat(created.at("/upstream/http").asString()).isEqualTo("127.0.0.1:9080");
        assertThat(created.get("proxy_protocol").asString()).isEqualTo("v1");
        assertThat(f.routes.current().lookup("bob.example.test")).isNotNull();

        r = f.http.get("/v1/operators/bob", TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        // GET adds where the operator's tunnel is attached: nowhere without a directory on Kafka.
        assertThat(body(r))
                .isEqualTo(((tools.jackson.databind.node.ObjectNode) created.deepCopy()).putNull("attachment"));

        r = f.http.send("PUT", "/v1/operators/bob", TOKEN, bob("bob.example.test", "*.bob.example.test"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(f.routes.current().lookup("www.bob.example.test").name()).isEqualTo("bob");

        r = f.http.get("/v1/operators", TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(body(r).get("operators").values())
                .extracting(n -> n.get("name").asString())
                .containsExactly("alice", "bob");

        // The file on disk says the same as the store: a restart loses nothing.
        assertThat(reread(f.operatorsFile)).isEqualTo(f.store.list());

        r = f.http.send("DELETE", "/v1/operators/bob", TOKEN, null);
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(f.routes.current().lookup("bob.example.test")).isNull();
        assertThat(f.http.get("/v1/operators/bob", TOKEN).statusCode()).isEqualTo(404);
        assertThat(f.http.send("DELETE", "/v1/operators/bob", TOKEN, null).statusCode())
                .isEqualTo(404);
        assertThat(reread(f.operatorsFile)).extracting(Operator::name).containsExactly("alice");
    }

    @Test
    void aHostOwnedByAnotherOperatorIs409NamingHostAndOwner() throws IOException {
        Fixture f = fixture(true);
        HttpResponse<String> r =
                f.http.send("PUT", "/v1/operators/bob", TOKEN, bob("bob.example.test", "alice.example.test"));
        assertThat(r.statusCode()).isEqualTo(409);
        JsonNode b = body(r);
        assertThat(b.get("host").asString()).isEqualTo("alice.example.test");
        assertThat(b.get("owner").asString()).isEqualTo("alice");
        assertThat(b.get("error").asString()).contains("alice.example.test").contains("alice");
        assertThat(f.store.get("bob")).isNull();
    }

    @Test
    void aHostUnderAnotherOperatorsWildcardIs409NamingBothOperators() throws IOException {
        Fixture f = fixture(true);
        HttpResponse<String> r =
                f.http.send("PUT", "/v1/operators/bob", TOKEN, bob("bob.example.test", "login.alice.example.test"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
        JsonNode b = body(r);
        assertThat(b.get("host").asString()).isEqualTo("login.alice.example.test");
        assertThat(b.get("operator").asString()).isEqualTo("bob");
        assertThat(b.get("owner").asString()).isEqualTo("alice");
        assertThat(b.get("owner_host").asString()).isEqualTo("*.alice.example.test");
        assertThat(b.get("error").asString())
                .isEqualTo("host login.alice.example.test of operator bob is under operator alice's wildcard "
                        + "*.alice.example.test");

        // A wildcard over alice's names is refused the same way.
        r = f.http.send("PUT", "/v1/operators/bob", TOKEN, bob("*.example.test"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
        b = body(r);
        assertThat(b.get("error").asString())
                .isEqualTo("wildcard *.example.test of operator bob covers operator alice's host alice.example.test");
        assertThat(b.get("owner_host").asString()).isEqualTo("alice.example.test");

        assertThat(f.store.get("bob")).isNull();
        assertThat(f.routes.current().lookup("login.alice.example.test").name()).isEqualTo("alice");
        assertThat(reread(f.operatorsFile)).extracting(Operator::name).containsExactly("alice");
    }

    @Test
    void invalidInputIs400WithEveryProblemsPath() throws IOException {
        Fixture f = fixture(true);
        HttpResponse<String> r = f.http.send(
                "PUT",
                "/v1/operators/bob",
                TOKEN,
                "{\"name\":\"bob\",\"hosts\":[\"*.com\"],\"upstream\":{\"http\":\"not-an-address\"},\"proxy_protocol\":\"v9\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        List<String> problems = body(r).get("problems").values().stream()
                .map(JsonNode::asString)
                .toList();
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("operator.hosts[0]: "));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("operator.upstream.http"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("operator.proxy_protocol"));

        r = f.http.send("PUT", "/v1/operators/bob", TOKEN, "not json");
        assertThat(r.statusCode()).isEqualTo(400);
        r = f.http.send("PUT", "/v1/operators/bob", TOKEN, "[1,2]");
        assertThat(r.statusCode()).isEqualTo(400);

        // The name in the path must be the name in the body.
        r = f.http.send("PUT", "/v1/operators/carol", TOKEN, bob("bob.example.test"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(body(r).get("problems").get(0).asString()).startsWith("operator.name: ");
        assertThat(f.store.list()).extracting(Operator::name).containsExactly("alice");
    }

    @Test
    void postDrainNeedsTheTokenAndTurnsReadinessDraining() throws IOException {
        Fixture f = fixture(true);
        f.health.listener("http", true);
        assertThat(f.http.send("POST", "/v1/drain", null, null).statusCode()).isEqualTo(401);
        assertThat(f.health.isDraining()).isFalse();

        HttpResponse<String> r = f.http.send("POST", "/v1/drain", TOKEN, null);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(body(r).get("status").asString()).isEqualTo("DRAINING");
        assertThat(f.http.get("/readyz").statusCode()).isEqualTo(503);
        assertThat(body(f.http.get("/readyz")).get("status").asString()).isEqualTo("DRAINING");
    }
}
