package co.airdress.relay.tunnel;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.SplittableRandom;

/** IP packets and deterministic randomness for tunnel tests. */
final class TestPackets {

    private TestPackets() {}

    /** A minimal IPv4 packet (protocol 253, experimental) with {@code payload} bytes of payload. */
    static byte[] ipv4(String src, String dst, int payload) {
        byte[] p = new byte[20 + payload];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = (byte) 253;
        System.arraycopy(InetAddress.ofLiteral(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.ofLiteral(dst).getAddress(), 0, p, 16, 4);
        for (int i = 20; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    static byte[] ipv6(String src, String dst, int payload) {
        byte[] p = new byte[40 + payload];
        p[0] = 0x60;
        p[4] = (byte) (payload >>> 8);
        p[5] = (byte) payload;
        p[6] = (byte) 253;
        p[7] = 64;
        System.arraycopy(InetAddress.ofLiteral(src).getAddress(), 0, p, 8, 16);
        System.arraycopy(InetAddress.ofLiteral(dst).getAddress(), 0, p, 24, 16);
        for (int i = 40; i < p.length; i++) {
            p[i] = (byte) (i * 7);
        }
        return p;
    }

    /** A SecureRandom that repeats itself: tests only, so that runs are reproducible. */
    static SecureRandom deterministic(long seed) {
        return new SecureRandom() {
            private final SplittableRandom random = new SplittableRandom(seed);

            @Override
            public void nextBytes(byte[] bytes) {
                random.nextBytes(bytes);
            }

            @Override
            public int nextInt() {
                return random.nextInt();
            }

            @Override
            public long nextLong() {
                return random.nextLong();
            }
        };
    }
}
