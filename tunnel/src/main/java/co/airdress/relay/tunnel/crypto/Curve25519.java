package co.airdress.relay.tunnel.crypto;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 on raw 32-byte keys, with BouncyCastle's RFC 7748 code: it takes and returns the raw
 * little-endian keys WireGuard uses, where the JDK's XDH wants key specs and big integers, and it
 * is the faster of the two.
 */
public final class Curve25519 {

    public static final int KEY_LENGTH = 32;

    private Curve25519() {}

    /** A clamped private key, as {@code wg genkey} prints. */
    public static byte[] generatePrivateKey(SecureRandom random) {
        byte[] key = new byte[KEY_LENGTH];
        random.nextBytes(key);
        clamp(key);
        return key;
    }

    public static void clamp(byte[] key) {
        key[0] &= (byte) 248;
        key[31] &= 127;
        key[31] |= 64;
    }

    public static byte[] publicKey(byte[] privateKey) {
        byte[] out = new byte[KEY_LENGTH];
        X25519.scalarMultBase(privateKey, 0, out, 0);
        return out;
    }

    /**
     * {@code DH(privateKey, publicKey)} into {@code out}; false when the result is all zeros (a
     * small-order public key), which WireGuard rejects.
     */
    public static boolean dh(byte[] privateKey, byte[] publicKey, byte[] out) {
        return X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0);
    }
}
