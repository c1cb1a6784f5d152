package co.airdress.relay.tunnel.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * WireGuard's hash-based primitives: {@code HASH} (BLAKE2s-256), {@code MAC} (keyed BLAKE2s with a
 * 16-byte output, used for MAC1/MAC2 and cookies), {@code HMAC} (HMAC-BLAKE2s) and the
 * HKDF-style {@code KDF1/2/3}. Used on the handshake path only, so plain allocation is fine here.
 */
public final class Blake2s {

    public static final int HASH_LENGTH = 32;
    public static final int MAC_LENGTH = 16;

    private Blake2s() {}

    /** {@code HASH(parts[0] || parts[1] || ...)}. */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest digest = new Blake2sDigest(256);
        for (byte[] part : parts) {
            digest.update(part, 0, part.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        digest.doFinal(out, 0);
        return out;
    }

    /** {@code MAC(key, data[offset, offset+length))}: keyed BLAKE2s-128 written to {@code out[outOffset..]}. */
    public static void mac(byte[] key, byte[] data, int offset, int length, byte[] out, int outOffset) {
        Blake2sDigest digest = new Blake2sDigest(key, MAC_LENGTH, null, null);
        digest.update(data, offset, length);
        digest.doFinal(out, outOffset);
    }

    public static byte[] mac(byte[] key, byte[] data, int offset, int length) {
        byte[] out = new byte[MAC_LENGTH];
        mac(key, data, offset, length, out, 0);
        return out;
    }

    /** {@code HMAC-BLAKE2s(key, parts...)}. */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        HMac mac = new HMac(new Blake2sDigest(256));
        mac.init(new KeyParameter(key));
        for (byte[] part : parts) {
            mac.update(part, 0, part.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        mac.doFinal(out, 0);
        return out;
    }

    /** {@code KDF1(key, input)}. */
    public static byte[] kdf1(byte[] key, byte[] input) {
        return kdf(key, input, 1)[0];
    }

    /** {@code KDF2(key, input)}. */
    public static byte[][] kdf2(byte[] key, byte[] input) {
        return kdf(key, input, 2);
    }

    /** {@code KDF3(key, input)}. */
    public static byte[][] kdf3(byte[] key, byte[] input) {
        return kdf(key, input, 3);
    }

    private static byte[][] kdf(byte[] key, byte[] input, int count) {
        byte[] prk = hmac(key, input);
        byte[][] out = new byte[count][];
        byte[] previous = new byte[0];
        for (int i = 0; i < count; i++) {
            out[i] = hmac(prk, previous, new byte[] {(byte) (i + 1)});
            previous = out[i];
        }
        java.util.Arrays.fill(prk, (byte) 0);
        return out;
    }
}
