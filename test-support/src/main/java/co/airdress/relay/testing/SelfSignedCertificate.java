package co.airdress.relay.testing;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A P-256 key and a self-signed certificate for an upstream's own TLS, made by {@code openssl req}:
 * a client that checks against it proves that the relay passed the handshake through.
 */
public record SelfSignedCertificate(Path certificate, Path key) {

    /** {@code cert.pem} and {@code key.pem} in {@code directory}, subject CN {@code cn}, SANs {@code dnsNames}. */
    public static SelfSignedCertificate create(Path directory, String cn, String... dnsNames) {
        requireNonNull(directory, "directory");
        requireNonNull(cn, "cn");
        SelfSignedCertificate made =
                new SelfSignedCertificate(directory.resolve("cert.pem"), directory.resolve("key.pem"));
        List<String> command = new ArrayList<>(List.of(
                Prerequisites.tool("openssl").toString(),
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=" + cn));
        if (dnsNames.length > 0) {
            command.add("-addext");
            command.add("subjectAltName=DNS:" + String.join(",DNS:", dnsNames));
        }
        command.addAll(List.of(
                "-keyout", made.key().toString(), "-out", made.certificate().toString()));
        ExternalProcess.run(Duration.ofSeconds(30), command.toArray(String[]::new));
        return made;
    }
}
