package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.RelayCommandLine;
import co.airdress.relay.testing.SecretFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code relay run} in a child JVM, drained by {@code POST /v1/drain} or SIGTERM while a relayed
 * connection is open: readiness turns DRAINING, the listener stops accepting, the open connection
 * keeps working, and the process exits 0 once it ends.
 */
class DrainEndToEndTest {

    static final String TOKEN = "drain-e2e-token";
    static final Pattern MANAGEMENT = Pattern.compile("management listening on \\S*?:(\\d+)");
    static final Pattern HTTP = Pattern.compile("listening for http on \\S*?:(\\d+)");

    @TempDir
    Path dir;

    private ExternalProcess startRelay(InetSocketAddress upstream) throws IOException {
        Files.writeString(
                dir.resolve("operators.yaml"),
                OperatorsFile.write(List.of(new Operator(
                        "alice", List.of("alice.example.test"), new Upstream(upstream, null), ProxyProtocol.NONE))));
        SecretFiles.write(dir.resolve("admin.token"), TOKEN + "\n");
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, """
                pop: e2e
                listen:
                  http: "127.0.0.1:0"
                management:
                  listen: "127.0.0.1:0"
                  token_file: %s
                operators_file: %s
                drain: { delay: 300ms, timeout: 1m }
                upstreams: { allow_loopback: true }   # the upstream is a server in this test, on loopback
                """.formatted(dir.resolve("admin.token"), dir.resolve("operators.yaml")));
        return ExternalProcess.start(
                "relay-run", RelayCommandLine.run(config, "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
    }

    private static int port(ExternalProcess relay, Pattern pattern) {
        Await.until(
                Duration.ofSeconds(60),
                "relay to log " + pattern + "; output:\n" + relay.output(),
                () -> pattern.matcher(relay.output()).find() || !relay.process().isAlive());
        Matcher m = pattern.matcher(relay.output());
        assertThat(m.find()).as("relay exited early:\n%s", relay.output()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void postDrainThenExitZeroAfterTheLastConnection() throws Exception {
        drain(true);
    }

    @Test
    void sigtermDrainsThenExitsZeroAfterTheLastConnection() throws Exception {
        drain(false);
    }

    private void drain(boolean viaApi) throws Exception {
        try (StreamingEcho echo = new StreamingEcho();
                ExternalProcess relay = startRelay(echo.address());
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build()) {
            int management = port(relay, MANAGEMENT);
            int http = port(relay, HTTP);
            String base = "http://127.0.0.1:" + management;
            HttpRequest readyz =
                    HttpRequest.newBuilder(URI.create(base + "/readyz")).build();
            assertThat(client.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);

            try (EchoStream stream = new EchoStream(http, "alice.example.test", 1)) {
                stream.exchange();

                if (viaApi) {
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(URI.create(base + "/v1/drain"))
                                    .header("Authorization", "Bearer " + TOKEN)
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(202);
                    // DRAINING before the call returned.
                    HttpResponse<String> ready = client.send(readyz, HttpResponse.BodyHandlers.ofString());
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.body()).contains("\"status\":\"DRAINING\"");
                } else {
                    ExternalProcess.run(Duration.ofSeconds(10), "kill", "-TERM", Long.toString(relay.pid()));
                    Await.until(Duration.ofSeconds(10), "readyz DRAINING", () -> {
                        try {
                            return client.send(readyz, HttpResponse.BodyHandlers.ofString())
                                    .body()
                                    .contains("\"status\":\"DRAINING\"");
                        } catch (IOException | InterruptedException e) {
                            return false;
                        }
                    });
                }

                // After drain.delay the listener stops accepting; the open connection keeps working.
                Await.until(Duration.ofSeconds(15), "listener closed", () -> !accepts(http));
                stream.exchange();
                assertThat(relay.process().isAlive())
                        .as("still serving the open connection")
                        .isTrue();
                stream.finish();
            }

            assertThat(relay.process().waitFor(30, TimeUnit.SECONDS))
                    .as("exited; output:\n%s", relay.output())
                    .isTrue();
            assertThat(relay.process().exitValue()).as(relay.output()).isZero();
            assertThat(relay.output())
                    .containsSubsequence(
                            "drain started by " + (viaApi ? "POST /v1/drain" : "SIGTERM"),
                            "listeners stopped accepting",
                            "all connections finished",
                            "drain complete, exiting");
        }
    }
}
