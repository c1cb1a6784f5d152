package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * A 32-byte Curve25519 key in wg's text format: standard base64, 44 characters ending in '='.
 * {@link #toString()} never shows the bytes, so a private key cannot leak into a log.
 */
public final class WireGuardKey {

    public static final int LENGTH = 32;

    private final byte[] bytes;

    private WireGuardKey(byte[] bytes) {
        this.bytes = bytes;
    }

    public static WireGuardKey of(byte[] bytes) {
        requireNonNull(bytes, "bytes");
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("key length: " + bytes.length + " (expected: " + LENGTH + ")");
        }
        return new WireGuardKey(bytes.clone());
    }

    /** Parses wg's base64 form; {@code what} names the setting in the error message. */
    public static WireGuardKey parse(String base64, String what) {
        requireNonNull(base64, "base64");
        requireNonNull(what, "what");
        String text = base64.strip();
        if (text.length() != 44 || text.charAt(43) != '=') {
            throw new IllegalArgumentException(what + ": a " + text.length()
                    + "-character value (expected: 44 characters of base64, as printed by 'wg genkey')");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": not base64 (expected: a key as printed by 'wg genkey')");
        }
        return new WireGuardKey(decoded);
    }

    /** Reads a private key file written by {@code wg genkey > file}: one base64 line. */
    public static WireGuardKey readFile(Path file) throws IOException {
        requireNonNull(file, "file");
        if (Files.size(file) > 1024) {
            throw new IOException("private key file " + file + ": " + Files.size(file)
                    + " bytes (expected: one base64 line, as written by 'wg genkey')");
        }
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        try {
            return parse(content, "private key file " + file);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WireGuardKey other && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "WireGuardKey(32 bytes)";
    }
}
