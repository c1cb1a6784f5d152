package co.airdress.relay.io;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 digests: of a file's bytes, to tell content already in force from new content, and of a
 * secret, so that only its digest is kept and compared ({@link MessageDigest#isEqual} on two
 * digests takes a time independent of where they differ).
 */
public final class Sha256 {

    private Sha256() {}

    public static byte[] of(byte[] bytes) {
        requireNonNull(bytes, "bytes");
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK provides SHA-256", e);
        }
    }

    /** The digest of {@code text}'s UTF-8 bytes. */
    public static byte[] of(String text) {
        return of(requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
    }
}
