package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.testing.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole daemon in-process: config file, operator directory, listeners, management, drain. */
class RelayDaemonTest {

    @TempDir
    Path dir;

    private static String operators(String host, InetSocketAddress http) {
        return "operators:\n  - { name: alice, hosts: [\"" + host + "\"], upstream: { http: \"127.0.0.1:"
                + http.getPort() + "\" } }\n";
    }

    private static String get(Socket s, String host) throws Exception {
        OutputStream out = s.getOutputStream();
        out.write(("GET /k HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        String status = in.readLine();
        int length = 0;
        for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        char[] body = new char[length];
        int read = 0;
        while (read < length) {
            read += in.read(body, read, length - read);
        }
        return status + " " + new String(body);
    }

    @Test
    void routesReloadsWithoutDroppingConnectionsAndDrains() throws Exception {
        try (HttpUpstream http = new HttpUpstream("daemon")) {
            Path ops = dir.resolve("operators.yaml");
            Files.writeString(ops, operators("alice.example.test", http.address()));
            Files.writeString(dir.resolve("relay.yaml"), """
                    pop: test1
                    listen: { http: "127.0.0.1:0" }
                    management: { listen: "127.0.0.1:0" }
                    drain: { delay: 100ms, timeout: 10s }
                    upstreams: { allow_loopback: true }
                    """);
            Parsed<RelayConfig> parsed = RelayConfigFile.read(dir.resolve("relay.yaml"));
            RelayConfig config = ((Parsed.Ok<RelayConfig>) parsed).value();
            try (RelayDaemon daemon = RelayDaemon.start(config);
                    Socket kept = new Socket()) {
                int port = daemon.address(Listener.HTTP).getPort();
                kept.connect(new InetSocketAddress("127.0.0.1", port));
                kept.setSoTimeout(10_000);
                assertThat(get(kept, "alice.example.test"))
                        .isEqualTo("HTTP/1.1 200 OK upstream=daemon host=alice.example.test path=/k\n");

                // Hot reload: alice now owns another host; the established connection stays routed.
                Path tmp = dir.resolve("operators.yaml.tmp");
                Files.writeString(tmp, operators("bob.example.test", http.address()));
                Files.move(tmp, ops, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Await.until(
                        Duration.ofSeconds(20),
                        "the reload",
                        () -> daemon.routes().current().lookup("bob.example.test") != null);
                assertThat(daemon.routes().current().lookup("alice.example.test"))
                        .isNull();
                assertThat(get(kept, "alice.example.test")).endsWith("host=alice.example.test path=/k\n");

                HttpClient client = HttpClient.newHttpClient();
                URI metrics = URI.create(
                        "http://127.0.0.1:" + daemon.managementAddress().getPort() + "/metrics");
                String scrape = client.send(
                                HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(scrape)
                        .contains("relay_connections_accepted_total{listener=\"http\",pop=\"test1\"} 1.0")
                        .contains("relay_peek_total{listener=\"http\",pop=\"test1\",result=\"host_found\"} 1.0")
                        .contains("relay_upstream_connect_seconds_bucket")
                        .contains("relay_operator_active_connections{operator=\"alice\",pop=\"test1\"} 1.0");

                // Drain: readiness turns, the listener stops, the kept connection ends the drain when it closes.
                daemon.drain().start("test");
                URI readyz = URI.create(
                        "http://127.0.0.1:" + daemon.managementAddress().getPort() + "/readyz");
                HttpResponse<String> ready =
                        client.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("DRAINING");
                Await.until(Duration.ofSeconds(10), "the listener to close", () -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                        return false;
                    } catch (java.io.IOException e) {
                        return true;
                    }
                });
                assertThat(daemon.drained()).isNotDone();
                kept.close();
                daemon.drained().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
