package co.airdress.relay.net;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * {@code host:port} text with an IP literal host: {@code 192.0.2.1:443}, {@code [2001:db8::1]:443}
 * (an IPv6 literal needs its brackets, or the port would be ambiguous). Host names are refused,
 * never resolved, so reading an address never waits for DNS. The relay config, the operators file,
 * the admin API, the WireGuard endpoints file and the controller's options read and write
 * addresses through this class.
 */
public final class HostPort {

    private HostPort() {}

    /**
     * The address {@code text} names, or null when it is not {@code ip:port} with an IP literal
     * and a port from {@code minPort} to 65535.
     */
    public static @Nullable InetSocketAddress parse(String text, int minPort) {
        requireNonNull(text, "text");
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        String host = text.substring(0, colon);
        String portText = text.substring(colon + 1);
        if (host.startsWith("[")) {
            if (!host.endsWith("]") || host.length() < 3) {
                return null;
            }
            host = host.substring(1, host.length() - 1);
            if (!host.contains(":")) {
                return null;
            }
        } else if (host.contains(":")) {
            return null;
        }
        if (portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        int port = Integer.parseInt(portText);
        if (port < minPort || port > 65535) {
            return null;
        }
        try {
            // ofLiteral never consults DNS: a host name is refused, not resolved.
            return new InetSocketAddress(InetAddress.ofLiteral(host), port);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * {@code ip:port}, IPv6 in brackets and in its RFC 5952 text ({@code [2001:db8::1]:443}): the
     * form {@link #parse} reads back. An unresolved address shows its host string.
     */
    public static String format(InetSocketAddress address) {
        InetAddress ip = requireNonNull(address, "address").getAddress();
        return join(ip == null ? address.getHostString() : NetUtil.toAddressString(ip), ip, address.getPort());
    }

    /**
     * {@link #format} with the IP as {@link InetAddress#getHostAddress()} writes it, IPv6 without
     * {@code ::} compression ({@code [2001:db8:0:0:0:0:0:1]:443}): the access log's form. {@link
     * #parse} reads it too.
     */
    public static String formatUncompressed(InetSocketAddress address) {
        InetAddress ip = requireNonNull(address, "address").getAddress();
        return join(ip == null ? address.getHostString() : ip.getHostAddress(), ip, address.getPort());
    }

    private static String join(String host, @Nullable InetAddress ip, int port) {
        return ip instanceof Inet6Address ? "[" + host + "]:" + port : host + ":" + port;
    }
}
