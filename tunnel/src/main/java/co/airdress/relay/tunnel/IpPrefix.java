package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * An IP address with a prefix length: an allowed-IPs entry ({@code 10.66.0.2/32},
 * {@code fd00::/64}) or an interface address as {@code ip addr add} takes it
 * ({@code fd00:a1d::1/64}, host bits kept). Immutable; {@link #contains} neither allocates nor
 * copies, so it serves the per-packet lookups.
 */
public final class IpPrefix {

    private final InetAddress address;
    private final int prefixLength;
    /** The address's bytes (4 or 16), copied once: {@link InetAddress#getAddress()} copies per call. */
    private final byte[] bytes;

    public IpPrefix(InetAddress address, int prefixLength) {
        this.address = requireNonNull(address, "address");
        this.bytes = address.getAddress();
        int max = bytes.length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefixLength: " + prefixLength + " (expected: 0.." + max + ")");
        }
        this.prefixLength = prefixLength;
    }

    /** The host prefix of {@code address}: /32 or /128. */
    public static IpPrefix host(InetAddress address) {
        return new IpPrefix(address, address.getAddress().length * 8);
    }

    /**
     * Parses {@code 100.96.0.1/16} or {@code fd00:a1d::1/64}; a bare address is a host prefix. IP
     * literals only (IPv4 as four dotted decimals), never a name lookup.
     */
    public static IpPrefix parse(String text) {
        requireNonNull(text, "text");
        int slash = text.indexOf('/');
        InetAddress address = literal(slash < 0 ? text : text.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException(
                    "prefix: " + text + " (expected: an IPv4 or IPv6 literal with an optional /length)");
        }
        int max = address.getAddress().length * 8;
        if (slash < 0) {
            return new IpPrefix(address, max);
        }
        String digits = text.substring(slash + 1);
        if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("prefix: " + text + " (expected: IP/prefix-length)");
        }
        int length = Integer.parseInt(digits);
        if (length > max) {
            throw new IllegalArgumentException("prefix: " + text + " (expected: a prefix length 0.." + max + ")");
        }
        return new IpPrefix(address, length);
    }

    /** An IPv4 (four dotted decimals) or IPv6 literal; null for anything else, names included. */
    private static @Nullable InetAddress literal(String host) {
        boolean looksLiteral = !host.isEmpty()
                && (host.indexOf(':') >= 0
                        ? host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')
                        : host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')
                                && host.chars().filter(c -> c == '.').count() == 3);
        if (!looksLiteral) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public InetAddress address() {
        return address;
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean isHost() {
        return prefixLength == bytes.length * 8;
    }

    public boolean isIpv6() {
        return address instanceof Inet6Address;
    }

    /** Whether the raw address bytes (4 or 16) fall inside this prefix; false for the other family. */
    public boolean contains(byte[] raw) {
        if (raw.length != bytes.length) {
            return false;
        }
        int full = prefixLength >>> 3;
        for (int i = 0; i < full; i++) {
            if (raw[i] != bytes[i]) {
                return false;
            }
        }
        int rest = prefixLength & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (raw[full] & mask) == (bytes[full] & mask);
    }

    /** The last four address bytes as an int: for IPv4 the whole address. */
    int low32() {
        return low32(bytes);
    }

    /** The last four bytes of a raw address as an int. */
    static int low32(byte[] raw) {
        int n = raw.length;
        return (raw[n - 4] & 0xff) << 24 | (raw[n - 3] & 0xff) << 16 | (raw[n - 2] & 0xff) << 8 | (raw[n - 1] & 0xff);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof IpPrefix other && prefixLength == other.prefixLength && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bytes) + prefixLength;
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
