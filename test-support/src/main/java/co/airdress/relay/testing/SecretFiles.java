package co.airdress.relay.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes files that hold a secret (token, private key) as the relay requires them: mode 0600. */
public final class SecretFiles {

    private SecretFiles() {}

    /** Writes {@code content} to {@code file}, readable and writable by its owner only. */
    public static Path write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
