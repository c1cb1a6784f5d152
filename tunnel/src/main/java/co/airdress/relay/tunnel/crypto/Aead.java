package co.airdress.relay.tunnel.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.XChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.jspecify.annotations.Nullable;

/**
 * ChaCha20-Poly1305 and XChaCha20-Poly1305 on byte arrays, for handshake and cookie messages
 * (tens of bytes, a few per second per peer). BouncyCastle here: a fresh cipher per call with no
 * key/nonce-reuse bookkeeping. Transport data uses the JDK cipher in {@link TransportCipher}.
 */
public final class Aead {

    public static final int TAG_LENGTH = 16;
    public static final int XNONCE_LENGTH = 24;

    private Aead() {}

    /** WireGuard's 96-bit nonce: 32 zero bits then the counter little-endian. */
    public static byte[] nonce(long counter) {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        return nonce;
    }

    public static byte[] seal(byte[] key, long counter, byte[] plaintext, byte[] aad) {
        return run(new ChaCha20Poly1305(), true, key, nonce(counter), plaintext, aad);
    }

    /** Returns the plaintext, or {@code null} when authentication fails. */
    public static byte @Nullable [] open(byte[] key, long counter, byte[] ciphertext, byte[] aad) {
        return run(new ChaCha20Poly1305(), false, key, nonce(counter), ciphertext, aad);
    }

    public static byte[] xseal(byte[] key, byte[] nonce24, byte[] plaintext, byte[] aad) {
        return run(new XChaCha20Poly1305(), true, key, nonce24, plaintext, aad);
    }

    /** Returns the plaintext, or {@code null} when authentication fails. */
    public static byte @Nullable [] xopen(byte[] key, byte[] nonce24, byte[] ciphertext, byte[] aad) {
        return run(new XChaCha20Poly1305(), false, key, nonce24, ciphertext, aad);
    }

    @SuppressWarnings("NullAway")
    private static byte[] run(
            ChaCha20Poly1305 cipher, boolean encrypt, byte[] key, byte[] nonce, byte[] input, byte[] aad) {
        if (!encrypt && input.length < TAG_LENGTH) {
            return null;
        }
        cipher.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_LENGTH * 8, nonce, aad));
        byte[] out = new byte[cipher.getOutputSize(input.length)];
        int n = cipher.processBytes(input, 0, input.length, out, 0);
        try {
            n += cipher.doFinal(out, n);
        } catch (InvalidCipherTextException e) {
            return null;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }
}
