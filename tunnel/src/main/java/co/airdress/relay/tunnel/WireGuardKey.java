package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * A 32-byte Curve25519 key (private, public or pre-shared), in the base64 form {@code wg} uses.
 * Immutable; {@link #toString()} never prints the key material.
 */
public final class WireGuardKey {

    public static final int LENGTH = 32;

    private final byte[] bytes;

    private WireGuardKey(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies {@code bytes}, which must be 32 bytes long. */
    public static WireGuardKey of(byte[] bytes) {
        requireNonNull(bytes, "bytes");
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("key length: " + bytes.length + " (expected: 32)");
        }
        return new WireGuardKey(bytes.clone());
    }

    /** Parses the base64 form printed by {@code wg genkey} / {@code wg pubkey}. */
    public static WireGuardKey fromBase64(String base64) {
        requireNonNull(base64, "base64");
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key: not base64 (expected: 44 characters of base64)", e);
        }
        if (decoded.length != LENGTH) {
            throw new IllegalArgumentException("key length: " + decoded.length + " bytes (expected: 32)");
        }
        return new WireGuardKey(decoded);
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** A copy of the key bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    byte[] unsafeBytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WireGuardKey other && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /**
     * Never the key nor any part of it: the first 4 bytes of its SHA-256, which tells keys apart in
     * logs but reveals nothing of the key (a prefix of the base64 form would give away 6 bytes of
     * a private key).
     */
    @Override
    public String toString() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "WireGuardKey[sha256:" + java.util.HexFormat.of().formatHex(digest, 0, 4) + "]";
        } catch (java.security.NoSuchAlgorithmException e) {
            return "WireGuardKey[…]";
        }
    }
}
