package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address with its prefix length, as given to {@code ip addr add}: {@code fd00:a1d::1/64}. */
public record InterfaceAddress(InetAddress address, int prefixLength) {

    public InterfaceAddress {
        requireNonNull(address, "address");
        int max = address instanceof Inet6Address ? 128 : 32;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length: " + prefixLength + " (expected: 0.." + max + ")");
        }
    }

    /** Parses {@code 100.96.0.1/16} or {@code fd00:a1d::1/64}; a bare address means a host prefix. */
    public static InterfaceAddress parse(String text) {
        requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        InetAddress address = literal(host, text);
        int max = address instanceof Inet6Address ? 128 : 32;
        int prefix = max;
        if (slash >= 0) {
            String digits = text.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("address: " + text + " (expected: IP/prefix-length)");
            }
            prefix = Integer.parseInt(digits);
        }
        return new InterfaceAddress(address, prefix);
    }

    /** Parses an IP literal without ever resolving a name. */
    public static InetAddress literal(String host, String whole) {
        boolean looksLiteral = !host.isEmpty()
                && (host.indexOf(':') >= 0
                        ? host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')
                        : host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')
                                && host.chars().filter(c -> c == '.').count() == 3);
        if (!looksLiteral) {
            throw new IllegalArgumentException("address: " + whole + " (expected: an IPv4 or IPv6 literal)");
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address: " + whole + " (expected: an IPv4 or IPv6 literal)", e);
        }
    }

    public boolean isIpv6() {
        return address instanceof Inet6Address;
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
