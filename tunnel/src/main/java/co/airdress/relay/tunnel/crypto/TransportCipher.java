package co.airdress.relay.tunnel.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.security.auth.Destroyable;

/**
 * One direction of a transport keypair: ChaCha20-Poly1305 (RFC 8439 §2.8, empty additional data)
 * built from the JDK's plain {@code ChaCha20} stream cipher (intrinsified on x86 AVX2/AVX-512 and
 * aarch64) and our own {@link Poly1305}.
 *
 * <p>Why not the JDK's {@code ChaCha20-Poly1305} cipher: its Poly1305 is intrinsified only with
 * AVX-512 IFMA / AVX-IFMA, and its per-packet {@code init} allocates; without those CPU features
 * the generic Poly1305 dominated the engine's CPU profile (tunnel/README.md). Per packet
 * the stream cipher is re-initialised with the counter nonce, its first 64-byte block gives the
 * one-time Poly1305 key, and the data continues at block 1, as RFC 8439 specifies. Opening checks
 * the tag before decrypting anything.
 *
 * <p>The stream is always run in {@code DECRYPT_MODE}: for ChaCha20 both modes are the same XOR,
 * and the JDK refuses an encrypt-mode re-init with the previous nonce, which a replayed datagram
 * would otherwise trigger on the receiving side.
 *
 * <p>{@link #destroy()} zeroes the key (ours and the JDK cipher's copy, by re-keying it with
 * zeros) and the one-time Poly1305 key once the keypair is forgotten; a destroyed cipher refuses
 * to seal or open.
 *
 * <p>Not thread-safe: one instance per keypair direction, used by the engine's owner thread.
 */
public final class TransportCipher implements Destroyable {

    private static final byte[] ZEROS = new byte[64];

    private final Cipher chacha;
    private final RawKey key;
    private boolean destroyed;
    private final Poly1305 poly = new Poly1305();
    private final byte[] nonce = new byte[12];
    private final byte[] polyKey = new byte[64];
    private final byte[] tag = new byte[Poly1305.TAG_LENGTH];
    /** Staging arrays for buffers without an accessible array (direct buffers). */
    private byte[] scratchIn = new byte[0];

    private byte[] scratchOut = new byte[0];

    /** @param encrypt kept for symmetry with the keypair's two directions; both use the same stream */
    public TransportCipher(byte[] key, boolean encrypt) {
        try {
            this.chacha = Cipher.getInstance("ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks ChaCha20", e);
        }
        this.key = new RawKey(key.clone());
    }

    /** The key as the JDK cipher takes it; unlike {@code SecretKeySpec}, ours can be zeroed. */
    private static final class RawKey implements SecretKey {
        private static final long serialVersionUID = 1L;
        private final byte[] bytes;

        RawKey(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public String getAlgorithm() {
            return "ChaCha20";
        }

        @Override
        public String getFormat() {
            return "RAW";
        }

        @Override
        public byte[] getEncoded() {
            return bytes.clone();
        }
    }

    /** Zeroes the key and what was derived from it; the cipher is unusable afterwards. */
    @Override
    public void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        Arrays.fill(key.bytes, (byte) 0);
        Arrays.fill(polyKey, (byte) 0);
        Arrays.fill(scratchIn, (byte) 0);
        Arrays.fill(scratchOut, (byte) 0);
        try {
            chacha.init(Cipher.DECRYPT_MODE, key, new ChaCha20ParameterSpec(nonce, 0)); // the JDK zeroes its copy
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("re-keying ChaCha20 with zeros failed", e);
        }
        poly.init(polyKey, 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /** Re-keys the stream for {@code counter} and derives the one-time Poly1305 key from block 0. */
    private void start(long counter) throws GeneralSecurityException {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        chacha.init(Cipher.DECRYPT_MODE, key, new ChaCha20ParameterSpec(nonce, 0));
        chacha.update(ZEROS, 0, 64, polyKey, 0);
        poly.init(polyKey, 0);
    }

    private void ensureScratch(int length) {
        if (scratchIn.length < length) {
            int size = Math.max(length, 2048);
            scratchIn = new byte[size];
            scratchOut = new byte[size];
        }
    }

    /**
     * Encrypts the remaining bytes of {@code plaintext} followed by {@code zeroPadding} (0..15) zero
     * bytes into {@code out}, then the 16-byte tag. Advances both buffers' positions.
     */
    public void seal(long counter, ByteBuffer plaintext, int zeroPadding, ByteBuffer out) {
        if (destroyed) {
            throw new IllegalStateException("sealing with a destroyed key (expected: a live keypair)");
        }
        int length = plaintext.remaining();
        int total = length + zeroPadding;
        if (out.remaining() < total + Poly1305.TAG_LENGTH) {
            throw new IllegalArgumentException("out: " + out.remaining() + " bytes left (expected: at least "
                    + (total + Poly1305.TAG_LENGTH) + ")");
        }
        try {
            start(counter);
            if (plaintext.hasArray() && out.hasArray()) {
                byte[] o = out.array();
                int at = out.arrayOffset() + out.position();
                chacha.update(plaintext.array(), plaintext.arrayOffset() + plaintext.position(), length, o, at);
                if (zeroPadding > 0) {
                    chacha.update(ZEROS, 0, zeroPadding, o, at + length);
                }
                tag(o, at, total, o, at + total);
                plaintext.position(plaintext.limit());
                out.position(out.position() + total + Poly1305.TAG_LENGTH);
                return;
            }
            ensureScratch(total + Poly1305.TAG_LENGTH);
            plaintext.get(scratchIn, 0, length);
            Arrays.fill(scratchIn, length, total, (byte) 0);
            chacha.update(scratchIn, 0, total, scratchOut, 0);
            tag(scratchOut, 0, total, scratchOut, total);
            out.put(scratchOut, 0, total + Poly1305.TAG_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    /**
     * Decrypts and authenticates the remaining bytes of {@code ciphertext} (including the tag) into
     * {@code out}; false when authentication fails (then nothing was written). Advances both
     * buffers' positions on success.
     */
    public boolean open(long counter, ByteBuffer ciphertext, ByteBuffer out) {
        int length = ciphertext.remaining() - Poly1305.TAG_LENGTH;
        if (destroyed || length < 0 || out.remaining() < length) {
            return false;
        }
        try {
            start(counter);
            byte[] in;
            int at;
            if (ciphertext.hasArray()) {
                in = ciphertext.array();
                at = ciphertext.arrayOffset() + ciphertext.position();
            } else {
                ensureScratch(length + Poly1305.TAG_LENGTH);
                ciphertext.get(ciphertext.position(), scratchIn, 0, length + Poly1305.TAG_LENGTH);
                in = scratchIn;
                at = 0;
            }
            tag(in, at, length, tag, 0);
            int difference = 0;
            for (int i = 0; i < Poly1305.TAG_LENGTH; i++) {
                difference |= tag[i] ^ in[at + length + i]; // constant time: no early exit
            }
            if (difference != 0) {
                return false;
            }
            if (out.hasArray()) {
                chacha.update(in, at, length, out.array(), out.arrayOffset() + out.position());
                out.position(out.position() + length);
            } else {
                ensureScratch(length);
                chacha.update(in, at, length, scratchOut, 0);
                out.put(scratchOut, 0, length);
            }
            ciphertext.position(ciphertext.limit());
            return true;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    /** Poly1305 over {@code data || pad16 || le64(0) || le64(length)} (no additional data). */
    private void tag(byte[] data, int offset, int length, byte[] out, int outOffset) {
        poly.updatePadded(data, offset, length);
        poly.updateLengths(0, length);
        poly.finish(out, outOffset);
    }
}
