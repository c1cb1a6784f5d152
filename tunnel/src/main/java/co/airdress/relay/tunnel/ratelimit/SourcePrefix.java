package co.airdress.relay.tunnel.ratelimit;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * The unit a per-source limit counts in: an IPv4 address, or the first {@code ipv6Length} bits of
 * an IPv6 address. An IPv6 host is routinely given a whole /64 and can send from any of its 2^64
 * addresses, so a limit per /128 limits nothing; the Linux WireGuard module's rate limiter buckets
 * IPv6 sources by /64 for this reason. IPv4 addresses stay whole (IPv4-mapped IPv6 addresses are
 * IPv4: the JDK hands them over as {@link Inet4Address}).
 *
 * <p>{@link #keyOf(byte[], Key)} computes a source's key from its raw address into a reused
 * {@link Key} without allocating, for lookups on a per-packet path; {@link #keyOf(InetAddress, Key)}
 * costs the copy {@link InetAddress#getAddress()} makes (24 or 32 bytes, which the JIT does not
 * elide: bench/ {@code SourcePrefixBench}).
 */
public final class SourcePrefix {

    /** The default IPv6 prefix length: what an IPv6 host is given. */
    public static final int DEFAULT_IPV6_LENGTH = 64;

    public static final int MIN_IPV6_LENGTH = 32;
    public static final int MAX_IPV6_LENGTH = 128;

    /** The IPv4 addresses' place in the key space: ::ffff:0:0/96, as IPv4-mapped IPv6 addresses. */
    private static final long IPV4_MAPPED = 0xffffL << 32;

    private final int ipv6Length;
    private final long highMask;
    private final long lowMask;

    /** @param ipv6Length the bits of an IPv6 address a source is counted by, {@value #MIN_IPV6_LENGTH}..128 */
    public SourcePrefix(int ipv6Length) {
        if (ipv6Length < MIN_IPV6_LENGTH || ipv6Length > MAX_IPV6_LENGTH) {
            throw new IllegalArgumentException(
                    "ipv6Length: " + ipv6Length + " (expected: " + MIN_IPV6_LENGTH + ".." + MAX_IPV6_LENGTH + ")");
        }
        this.ipv6Length = ipv6Length;
        this.highMask = ipv6Length >= 64 ? -1L : -1L << (64 - ipv6Length);
        this.lowMask = ipv6Length <= 64 ? 0 : ipv6Length == 128 ? -1L : -1L << (128 - ipv6Length);
    }

    public int ipv6Length() {
        return ipv6Length;
    }

    /** Writes the key {@code address} counts under into {@code into}; returns {@code into}. */
    public Key keyOf(InetAddress address, Key into) {
        requireNonNull(address, "address");
        return keyOf(address.getAddress(), into);
    }

    /**
     * Writes the key of the raw address {@code raw} (4 or 16 bytes, as {@link
     * InetAddress#getAddress()} gives them) into {@code into}; returns {@code into}. Allocates nothing.
     */
    public Key keyOf(byte[] raw, Key into) {
        if (raw.length != 4 && raw.length != 16) {
            throw new IllegalArgumentException("raw: " + raw.length + " bytes (expected: 4 or 16)");
        }
        if (raw.length == 4) {
            into.high = 0;
            into.low = IPV4_MAPPED | (int32(raw, 0) & 0xffffffffL);
        } else {
            into.high = (((long) int32(raw, 0)) << 32 | (int32(raw, 4) & 0xffffffffL)) & highMask;
            into.low = (((long) int32(raw, 8)) << 32 | (int32(raw, 12) & 0xffffffffL)) & lowMask;
        }
        return into;
    }

    /** The key of {@code address} in a new {@link Key}. */
    public Key keyOf(InetAddress address) {
        return keyOf(address, new Key());
    }

    private static int int32(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    /**
     * A source's key: 128 bits, an IPv6 prefix with its host bits zero or an IPv4-mapped address.
     * Mutable so that lookups can reuse one; a key put in a map must never change ({@link #copy}).
     */
    public static final class Key {
        long high;
        long low;

        public Key copy() {
            Key k = new Key();
            k.high = high;
            k.low = low;
            return k;
        }

        /** Makes this key equal to {@code other}. */
        public Key set(Key other) {
            high = other.high;
            low = other.low;
            return this;
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Key k && k.high == high && k.low == low;
        }

        @Override
        public int hashCode() {
            long h = high * 0x9e3779b97f4a7c15L ^ low * 0xc2b2ae3d27d4eb4fL;
            return (int) (h ^ (h >>> 32));
        }

        /** {@code 192.0.2.1}, or the IPv6 prefix's address with its host bits zero. */
        @Override
        public String toString() {
            if (high == 0 && (low >>> 32) == 0xffffL) {
                return (low >>> 24 & 0xff) + "." + (low >>> 16 & 0xff) + "." + (low >>> 8 & 0xff) + "." + (low & 0xff);
            }
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                long word = i < 4 ? high : low;
                int shift = 48 - 16 * (i & 3);
                s.append(i == 0 ? "" : ":").append(Long.toHexString(word >>> shift & 0xffff));
            }
            return s.toString();
        }
    }
}
