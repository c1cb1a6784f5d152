package co.airdress.relay.e2e;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An {@code openssl s_server -www} upstream with its own self-signed certificate, so a client
 * that sees this certificate's subject proves the relay did not terminate TLS.
 */
final class TlsUpstream implements AutoCloseable {

    final Path dir;
    final Path cert;
    final String subjectCn;
    final int port;
    private final ExternalProcess process;

    TlsUpstream(String cn, String... sans) throws IOException {
        String openssl = Prerequisites.tool("openssl").toString();
        dir = Files.createTempDirectory("relay-tls-upstream");
        SelfSignedCertificate made = SelfSignedCertificate.create(dir, cn, sans);
        cert = made.certificate();
        Path key = made.key();
        subjectCn = cn;
        port = RelayHarness.freePort();
        process = ExternalProcess.start(
                "s_server",
                List.of(
                        openssl,
                        "s_server",
                        "-accept",
                        "127.0.0.1:" + port,
                        "-cert",
                        cert.toString(),
                        "-key",
                        key.toString(),
                        "-www",
                        "-naccept",
                        "1000"));
        process.awaitPort("127.0.0.1", port, Duration.ofSeconds(20));
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void close() throws IOException {
        process.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
