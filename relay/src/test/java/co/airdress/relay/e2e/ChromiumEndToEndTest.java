package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Headless Chromium loads a page from an HTTPS upstream through the relay. */
class ChromiumEndToEndTest {

    @Test
    void chromiumLoadsThePageServedByTheUpstream() throws Exception {
        String chromium = Prerequisites.tool("chromium").toString();
        Path profile = Files.createTempDirectory("relay-chromium");
        try (TlsUpstream tls = new TlsUpstream("chromium-upstream", "alice.example.test");
                RelayHarness relay = RelayHarness.start(
                        RelayHarness.defaultConfig(),
                        List.of(RelayHarness.operator(
                                "alice", List.of("alice.example.test"), null, tls.address(), ProxyProtocol.NONE)))) {
            ExternalProcess.Result r = ExternalProcess.runAllowingFailure(
                    Duration.ofSeconds(90),
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--user-data-dir=" + profile,
                    "--host-resolver-rules=MAP *.example.test 127.0.0.1",
                    "--ignore-certificate-errors",
                    "--dump-dom",
                    "https://alice.example.test:" + relay.tlsPort() + "/");
            // s_server -www answers with a page describing the TLS session it terminated.
            assertThat(r.output()).as(r.output()).contains("s_server").contains("Ciphers supported in s_server binary");
            assertThat(relay.counter("relay.peek", "listener", "tls", "result", "sni_found"))
                    .isGreaterThanOrEqualTo(1);
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
