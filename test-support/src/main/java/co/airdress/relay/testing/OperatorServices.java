package co.airdress.relay.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

/**
 * An operator's services on its tunnel address: a plain HTTP file server (python's
 * {@code http.server}) and an HTTPS server ({@code openssl s_server -www}). Stopped by pid.
 */
public final class OperatorServices implements AutoCloseable {

    public static final int HTTP_PORT = 8080;
    public static final int HTTPS_PORT = 8443;

    private final Path directory;
    private final ExternalProcess http;
    private final ExternalProcess https;
    private final String bigFileSha256;

    private OperatorServices(Path directory, ExternalProcess http, ExternalProcess https, String bigFileSha256) {
        this.directory = directory;
        this.http = http;
        this.https = https;
        this.bigFileSha256 = bigFileSha256;
    }

    /** Serves {@code index.html} and a {@code bigMegabytes} MB random {@code big.bin} on {@code address}. */
    public static OperatorServices start(NetworkNamespace ns, String address, String name, int bigMegabytes)
            throws Exception {
        Path dir = Files.createTempDirectory("airdress-op-" + name);
        Files.writeString(dir.resolve("index.html"), "hello from operator " + name + "\n");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(name.hashCode());
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(dir.resolve("big.bin"))) {
            for (int i = 0; i < bigMegabytes; i++) {
                random.nextBytes(chunk);
                sha.update(chunk);
                out.write(chunk);
            }
        }
        SelfSignedCertificate.create(dir, name);
        ExternalProcess http = ns.start(
                "http-" + name,
                "python3",
                "-m",
                "http.server",
                Integer.toString(HTTP_PORT),
                "--bind",
                address,
                "--directory",
                dir.toString());
        String accept = address.contains(":") ? "[" + address + "]:" + HTTPS_PORT : address + ":" + HTTPS_PORT;
        ExternalProcess https = ns.start(
                "https-" + name,
                "openssl",
                "s_server",
                "-www",
                "-accept",
                accept,
                "-cert",
                dir.resolve("cert.pem").toString(),
                "-key",
                dir.resolve("key.pem").toString());
        OperatorServices services =
                new OperatorServices(dir, http, https, HexFormat.of().formatHex(sha.digest()));
        try {
            // Both listen inside the namespace; wait for them from there.
            awaitListening(ns, HTTP_PORT, http);
            awaitListening(ns, HTTPS_PORT, https);
        } catch (RuntimeException e) {
            services.close();
            throw e;
        }
        return services;
    }

    private static void awaitListening(NetworkNamespace ns, int port, ExternalProcess process) {
        co.airdress.relay.testing.Await.until(Duration.ofSeconds(10), process + " listening on " + port, () -> {
            if (!process.process().isAlive()) {
                throw new AssertionError(process + " exited: " + process.output());
            }
            return ns.exec("ss", "-Hltn", "sport = :" + port).contains(":" + port);
        });
    }

    public String bigFileSha256() {
        return bigFileSha256;
    }

    @Override
    public void close() throws IOException {
        http.close();
        https.close();
        try (var files = Files.list(directory)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(directory);
    }
}
