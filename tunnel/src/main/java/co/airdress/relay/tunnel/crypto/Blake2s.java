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

    /**
     * {@code KDFn(key, input)} with n = {@code out.length}, written into {@code out[0..n)} (32
     * bytes each, which may be {@code key} itself: the key is read first). The intermediate values
     * are zeroed; the handshake uses this to keep its secrets in buffers it zeroes after use.
     */
    public static void kdf(byte[] key, byte[] input, byte[]... out) {
        byte[] prk = hmac(key, input);
        byte[] counter = new byte[1];
        for (int i = 0; i < out.length; i++) {
            counter[0] = (byte) (i + 1);
            byte[] t = i == 0 ? hmac(prk, counter) : hmac(prk, out[i - 1], counter);
            System.arraycopy(t, 0, out[i], 0, HASH_LENGTH);
            java.util.Arrays.fill(t, (byte) 0);
        }
        java.util.Arrays.fill(prk, (byte) 0);
    }

    private static byte[][] kdf(byte[] key, byte[] input, int count) {
        byte[][] out = new byte[count][HASH_LENGTH];
        kdf(key, input, out);
        return out;
    }
}
