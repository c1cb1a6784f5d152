package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.WireGuardKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** wg's text form of a key (44 characters of base64) and its key files, with messages naming the setting. */
public final class KeyText {

    private KeyText() {}

    /** Parses a key as {@code wg genkey} / {@code wg pubkey} print it; {@code what} names the setting. */
    public static WireGuardKey parse(String base64, String what) {
        requireNonNull(base64, "base64");
        requireNonNull(what, "what");
        String text = base64.strip();
        if (text.length() != 44 || text.charAt(43) != '=') {
            throw new IllegalArgumentException(what + ": a " + text.length()
                    + "-character value (expected: 44 characters of base64, as printed by 'wg genkey')");
        }
        try {
            return WireGuardKey.fromBase64(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": not base64 (expected: a key as printed by 'wg genkey')", e);
        }
    }

    /**
     * Reads a private key file written by {@code wg genkey > file}: one base64 line, in a file only
     * its owner may access ({@link SecretFile}; {@code umask 077} before writing it).
     */
    public static WireGuardKey readFile(Path file) throws IOException {
        requireNonNull(file, "file");
        String unprotected = SecretFile.problem(file);
        if (unprotected != null) {
            throw new IOException("private key file " + unprotected);
        }
        long size = Files.size(file);
        if (size > 1024) {
            throw new IOException("private key file " + file + ": " + size
                    + " bytes (expected: one base64 line, as written by 'wg genkey')");
        }
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        try {
            return parse(content, "private key file " + file);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
