package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address prefix in AllowedIPs, e.g. {@code 10.66.0.2/32} or {@code fd00::2/128}. */
public record IpPrefix(InetAddress address, int prefixLength) {

    public IpPrefix {
        requireNonNull(address, "address");
        int max = address.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefixLength: " + prefixLength + " (expected: 0.." + max + ")");
        }
    }

    /** The host prefix of {@code address}: /32 or /128. */
    public static IpPrefix host(InetAddress address) {
        return new IpPrefix(address, address.getAddress().length * 8);
    }

    /** Parses {@code "addr/len"} or a bare address (a host prefix); literals only, never DNS. */
    public static IpPrefix parse(String text) {
        requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        if (addr.isEmpty() || !(addr.indexOf(':') >= 0 || Character.digit(addr.charAt(0), 16) >= 0)) {
            throw new IllegalArgumentException(
                    "prefix: " + text + " (expected: an IP literal with an optional /length)");
        }
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(addr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "prefix: " + text + " (expected: an IP literal with an optional /length)", e);
        }
        int length = slash < 0 ? address.getAddress().length * 8 : Integer.parseInt(text.substring(slash + 1));
        return new IpPrefix(address, length);
    }

    public boolean isHost() {
        return prefixLength == address.getAddress().length * 8;
    }

    /** Whether the raw address bytes (4 or 16) fall inside this prefix. */
    public boolean contains(byte[] raw) {
        byte[] mine = address.getAddress();
        if (raw.length != mine.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (raw[i] != mine[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (raw[full] & mask) == (mine[full] & mask);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }

    static InetAddress addressOf(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
