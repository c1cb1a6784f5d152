package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.SecretFiles;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload and API changes under load lose no established connection: long-lived streams keep
 * flowing through the relay while the operators file is rewritten (rename into place and in-place
 * writes, including changes to the streams' own operator) and the admin API adds and removes other
 * operators; every stream must complete intact.
 */
class ReloadUnderLoadTest {

    static final int STREAMS = 16;
    static final int ROUNDS = 6;
    static final String TOKEN = "reload-under-load-token";

    @TempDir
    Path dir;

    @Test
    void hotReloadAndApiChangesUnderLoadLoseNoEstablishedConnection() throws Exception {
        try (StreamingEcho echo = new StreamingEcho()) {
            Path operatorsFile = dir.resolve("operators.yaml");
            Operator alice = new Operator(
                    "alice", List.of("alice.example.test"), new Upstream(echo.address(), null), ProxyProtocol.NONE);
            Files.writeString(operatorsFile, OperatorsFile.write(List.of(alice)));
            Path tokenFile = dir.resolve("admin.token");
            SecretFiles.write(tokenFile, TOKEN);
            InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
            RelayConfig config = new RelayConfig(
                    "e2e",
                    new RelayConfig.Listen(any, null),
                    new RelayConfig.Management(any, tokenFile),
                    operatorsFile,
                    RelayConfigFile.DEFAULT_LIMITS,
                    new RelayConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMinutes(1)),
                    RelayConfigFile.DEFAULT_DRAIN,
                    null,
                    // The echo upstream is a server in this test, on loopback.
                    new RelayConfig.Upstreams(true),
                    null);

            try (RelayDaemon daemon = RelayDaemon.start(config);
                    HttpClient client = HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .build()) {
                int port = daemon.address(Listener.HTTP).getPort();
                String api = "http://127.0.0.1:" + daemon.managementAddress().getPort() + "/v1/operators/";

                // Long-lived streams, all established before any change.
                List<EchoStream> streams = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    EchoStream s = new EchoStream(port, "alice.example.test", i);
                    s.exchange();
                    streams.add(s);
                }
                AtomicBoolean stop = new AtomicBoolean();
                List<CompletableFuture<Long>> running = new ArrayList<>();
                for (EchoStream s : streams) {
                    running.add(CompletableFuture.supplyAsync(
                            () -> {
                                try (s) {
                                    while (!stop.get()) {
                                        s.exchange();
                                        Thread.sleep(5); // a steady trickle, not a flood: 2 cores are shared
                                    }
                                    s.exchange();
                                    s.finish();
                                    return s.sent();
                                } catch (Exception e) {
                                    throw new AssertionError(e);
                                }
                            },
                            runnable -> Thread.ofVirtual().start(runnable)));
                }

                for (int round = 1; round <= ROUNDS; round++) {
                    // The admin API adds an operator and removes the previous round's.
                    String bob = "bob-" + round;
                    HttpResponse<String> r = send(client, "PUT", api + bob, """
                            {"name":"%s","hosts":["%s.example.test"],"upstream":{"http":"127.0.0.1:9"}}
                            """.formatted(bob, bob));
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    if (round > 1) {
                        assertThat(send(client, "DELETE", api + "bob-" + (round - 1), null)
                                        .statusCode())
                                .isEqualTo(204);
                    }

                    // The file is rewritten behind the store's back: a new operator, and the streams'
                    // own operator gains a host (a new Operator object for alice).
                    List<Operator> current = new ArrayList<>(read(operatorsFile));
                    String aliceHost = "r" + round + ".alice.example.test";
                    current.replaceAll(op -> op.name().equals("alice") ? withHost(op, aliceHost) : op);
                    current.add(new Operator(
                            "file-" + round,
                            List.of("file-" + round + ".example.test"),
                            new Upstream(new InetSocketAddress("127.0.0.1", 9), null),
                            ProxyProtocol.V1));
                    String yaml = OperatorsFile.write(current);
                    if (round % 2 == 0) {
                        Files.writeString(operatorsFile, yaml); // in place
                    } else {
                        Path tmp = dir.resolve(".operators.yaml.new");
                        Files.writeString(tmp, yaml);
                        Files.move(
                                tmp,
                                operatorsFile,
                                StandardCopyOption.ATOMIC_MOVE,
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                    String host = "file-" + round + ".example.test";
                    Await.until(
                            Duration.ofSeconds(10),
                            "reload with " + host,
                            () -> daemon.routes().current().lookup(host) != null);
                    assertThat(daemon.routes().current().lookup("bob-" + round + ".example.test"))
                            .isNotNull();
                }
                // A new connection sees the latest table (alice with her new host).
                try (EchoStream fresh = new EchoStream(port, "r" + ROUNDS + ".alice.example.test", 999)) {
                    fresh.exchange();
                    fresh.finish();
                }

                stop.set(true);
                for (int i = 0; i < STREAMS; i++) {
                    long sent = running.get(i).get(30, TimeUnit.SECONDS);
                    assertThat(sent).as("stream %d", i).isGreaterThanOrEqualTo(2L * EchoStream.CHUNK);
                }
                assertThat(daemon.health().operatorsError()).isNull();
            }
        }
    }

    private static Operator withHost(Operator op, String host) {
        List<String> hosts = new ArrayList<>(op.hosts());
        hosts.add(host);
        return new Operator(op.name(), hosts, op.upstream(), op.proxyProtocol());
    }

    private static List<Operator> read(Path file) {
        return switch (OperatorsFile.read(file)) {
            case Parsed.Ok<List<Operator>> ok -> ok.value();
            case Parsed.Invalid<List<Operator>> invalid ->
                throw new AssertionError(invalid.problems().toString());
        };
    }

    private static HttpResponse<String> send(HttpClient client, String method, String uri, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
