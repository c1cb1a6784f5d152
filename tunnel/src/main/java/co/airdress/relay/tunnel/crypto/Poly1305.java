package co.airdress.relay.tunnel.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Poly1305 (RFC 8439 §2.5) in five 26-bit limbs held in {@code long}s, on a reused instance: no
 * allocation per message.
 *
 * <p>Why our own: the JDK's Poly1305 is intrinsified only with AVX-512 IFMA or AVX-IFMA. Without
 * them (this project's AMD EPYC hosts have AVX2 only; {@code -XX:+UnlockDiagnosticVMOptions
 * -XX:+PrintFlagsFinal} shows {@code UsePoly1305Intrinsics=false}) it runs generic
 * {@code IntegerPolynomial} code that JFR showed as the largest single cost of sealing and opening
 * transport packets. This straight-line version is faster there (measured in bench/README.md,
 * WireGuard).
 *
 * <p>Not thread-safe; one instance per {@link TransportCipher}.
 */
final class Poly1305 {

    static final int KEY_LENGTH = 32;
    static final int TAG_LENGTH = 16;

    private static final long MASK26 = 0x3ffffff;
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private long r0, r1, r2, r3, r4;
    private long s1, s2, s3, s4;
    private long h0, h1, h2, h3, h4;
    private long pad0, pad1, pad2, pad3;
    private final byte[] block = new byte[16];

    /** Starts a message under the one-time key {@code key[offset..offset+32)}. */
    void init(byte[] key, int offset) {
        r0 = le32(key, offset) & 0x3ffffff;
        r1 = (le32(key, offset + 3) >>> 2) & 0x3ffff03;
        r2 = (le32(key, offset + 6) >>> 4) & 0x3ffc0ff;
        r3 = (le32(key, offset + 9) >>> 6) & 0x3f03fff;
        r4 = (le32(key, offset + 12) >>> 8) & 0x00fffff;
        s1 = r1 * 5;
        s2 = r2 * 5;
        s3 = r3 * 5;
        s4 = r4 * 5;
        h0 = h1 = h2 = h3 = h4 = 0;
        pad0 = le32(key, offset + 16);
        pad1 = le32(key, offset + 20);
        pad2 = le32(key, offset + 24);
        pad3 = le32(key, offset + 28);
    }

    /**
     * Absorbs {@code length} bytes as full 16-byte blocks; a last partial block is padded with
     * zeros to 16 bytes (the AEAD construction's pad16, which makes it a full block).
     */
    void updatePadded(byte[] m, int offset, int length) {
        int end = offset + length;
        int i = fullBlocks(m, offset, end);
        if (i < end) {
            lastBlock(m, i, end - i);
            block(block, 0, 1L << 24);
        }
    }

    /**
     * Absorbs the final bytes of a plain (non-AEAD) message: full blocks, then a last partial block
     * with RFC 8439's 0x01 terminator. Only the known-answer tests use it.
     */
    void updateFinal(byte[] m, int offset, int length) {
        int end = offset + length;
        int i = fullBlocks(m, offset, end);
        if (i < end) {
            lastBlock(m, i, end - i);
            block[end - i] = 1;
            block(block, 0, 0);
        }
    }

    /** Absorbs the full 16-byte blocks of {@code m[offset..end)}; returns where the rest starts. */
    private int fullBlocks(byte[] m, int offset, int end) {
        int i = offset;
        for (; i + 16 <= end; i += 16) {
            block(m, i, 1L << 24);
        }
        return i;
    }

    /** Copies the last {@code n < 16} bytes into the zeroed scratch block. */
    private void lastBlock(byte[] m, int offset, int n) {
        java.util.Arrays.fill(block, (byte) 0);
        System.arraycopy(m, offset, block, 0, n);
    }

    /** Absorbs the AEAD length block: {@code le64(aadLength) || le64(dataLength)}. */
    void updateLengths(long aadLength, long dataLength) {
        h0 += aadLength & MASK26;
        h1 += (aadLength >>> 26) & MASK26;
        h2 += ((aadLength >>> 52) | (dataLength << 12)) & MASK26;
        h3 += (dataLength >>> 14) & MASK26;
        h4 += ((dataLength >>> 40) & 0xffffff) | (1L << 24);
        multiply();
    }

    private void block(byte[] m, int i, long hibit) {
        long t0 = le32(m, i);
        long t1 = le32(m, i + 4);
        long t2 = le32(m, i + 8);
        long t3 = le32(m, i + 12);
        h0 += t0 & MASK26;
        h1 += ((t0 >>> 26) | (t1 << 6)) & MASK26;
        h2 += ((t1 >>> 20) | (t2 << 12)) & MASK26;
        h3 += ((t2 >>> 14) | (t3 << 18)) & MASK26;
        h4 += (t3 >>> 8) | hibit;
        multiply();
    }

    /** h = (h * r) mod 2^130 - 5, partially reduced (limbs may exceed 26 bits by a little). */
    private void multiply() {
        long d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
        long d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
        long d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
        long d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
        long d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
        long c = d0 >>> 26;
        h0 = d0 & MASK26;
        d1 += c;
        c = d1 >>> 26;
        h1 = d1 & MASK26;
        d2 += c;
        c = d2 >>> 26;
        h2 = d2 & MASK26;
        d3 += c;
        c = d3 >>> 26;
        h3 = d3 & MASK26;
        d4 += c;
        c = d4 >>> 26;
        h4 = d4 & MASK26;
        h0 += c * 5;
        c = h0 >>> 26;
        h0 &= MASK26;
        h1 += c;
    }

    /** Writes the 16-byte tag to {@code out[offset..]}. */
    void finish(byte[] out, int offset) {
        long c = h1 >>> 26;
        h1 &= MASK26;
        h2 += c;
        c = h2 >>> 26;
        h2 &= MASK26;
        h3 += c;
        c = h3 >>> 26;
        h3 &= MASK26;
        h4 += c;
        c = h4 >>> 26;
        h4 &= MASK26;
        h0 += c * 5;
        c = h0 >>> 26;
        h0 &= MASK26;
        h1 += c;

        // g = h + 5 - 2^130; use it when non-negative (h >= p), in constant time.
        long g0 = h0 + 5;
        c = g0 >>> 26;
        g0 &= MASK26;
        long g1 = h1 + c;
        c = g1 >>> 26;
        g1 &= MASK26;
        long g2 = h2 + c;
        c = g2 >>> 26;
        g2 &= MASK26;
        long g3 = h3 + c;
        c = g3 >>> 26;
        g3 &= MASK26;
        long g4 = h4 + c - (1L << 26);
        long keepH = g4 >> 63; // all ones when g4 < 0, i.e. h < p
        long f0 = (h0 & keepH) | (g0 & ~keepH);
        long f1 = (h1 & keepH) | (g1 & ~keepH);
        long f2 = (h2 & keepH) | (g2 & ~keepH);
        long f3 = (h3 & keepH) | (g3 & ~keepH);
        long f4 = (h4 & keepH) | (g4 & ~keepH);

        long w0 = (f0 | (f1 << 26)) & 0xffffffffL;
        long w1 = ((f1 >>> 6) | (f2 << 20)) & 0xffffffffL;
        long w2 = ((f2 >>> 12) | (f3 << 14)) & 0xffffffffL;
        long w3 = ((f3 >>> 18) | (f4 << 8)) & 0xffffffffL;

        long f = w0 + pad0;
        INT_LE.set(out, offset, (int) f);
        f = w1 + pad1 + (f >>> 32);
        INT_LE.set(out, offset + 4, (int) f);
        f = w2 + pad2 + (f >>> 32);
        INT_LE.set(out, offset + 8, (int) f);
        f = w3 + pad3 + (f >>> 32);
        INT_LE.set(out, offset + 12, (int) f);
    }

    private static long le32(byte[] b, int i) {
        return Integer.toUnsignedLong((int) INT_LE.get(b, i));
    }
}
