package co.airdress.relay.tunnel.noise;

import java.time.Instant;
import java.util.Arrays;

/** TAI64N timestamps carried in initiations; the responder accepts only strictly newer ones. */
public final class Tai64n {

    public static final int LENGTH = 12;
    private static final long BASE = 0x400000000000000aL;
    // Rounds the nanoseconds down to ~16 ms so the timestamp does not leak a fine-grained clock.
    private static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {}

    public static byte[] of(Instant instant) {
        byte[] out = new byte[LENGTH];
        long secs = BASE + instant.getEpochSecond();
        int nanos = instant.getNano() & ~WHITENER_MASK;
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (secs >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
        return out;
    }

    public static Instant toInstant(byte[] tai64n) {
        long secs = 0;
        for (int i = 0; i < 8; i++) {
            secs = (secs << 8) | (tai64n[i] & 0xff);
        }
        int nanos = 0;
        for (int i = 8; i < 12; i++) {
            nanos = (nanos << 8) | (tai64n[i] & 0xff);
        }
        return Instant.ofEpochSecond(secs - BASE, Math.min(nanos, 999_999_999));
    }

    /** Unsigned big-endian comparison: true when {@code a} is strictly after {@code b}. */
    public static boolean after(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) > 0;
    }
}
