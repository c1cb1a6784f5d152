package co.airdress.relay.config;

import co.airdress.relay.net.HostPort;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The {@code listen:} section of the relay's config file (relay/README.md). Each listener takes
 * one address or a list of them:
 *
 * <pre>
 * listen:
 *   http: "[::]:80"                        # one dual-stack socket: IPv6, and IPv4 as ::ffff:a.b.c.d
 *   tls: ["0.0.0.0:443", "[::]:443"]       # separate IPv4 and IPv6 sockets
 * </pre>
 *
 * <p>In a listener that lists both an IPv4 and an IPv6 address, the IPv6 sockets are IPv6-only,
 * so that IPv4 connections land on the IPv4 socket the config names; a listener with IPv6
 * addresses only binds them dual-stack. Two addresses that one socket could not tell apart (the
 * same port, and the same address or a wildcard covering the other, across both listeners) are
 * refused, naming both; so is a listener that binds nothing.
 *
 * <p>{@code defer_accept} (whole seconds, {@code 0s} off; a duration such as {@code 1s} or a number
 * of seconds) is the TCP_DEFER_ACCEPT of every listening socket.
 */
final class ListenSection {

    private static final Set<String> KEYS = Set.of("http", "tls", "defer_accept");
    static final int MAX_ADDRESSES = 8;
    private static final String ROLE = "[::] or 0.0.0.0 for every address; port 0 picks a free one";

    private ListenSection() {}

    /** One address as read, with where it was read (for messages). */
    private record Entry(String path, JsonNode node, RelayConfig.ListenSocket socket) {}

    static RelayConfig.Listen read(YamlTree t, JsonNode root) {
        JsonNode node = t.required("", root, "listen");
        if (node == null || !t.object("listen", node, KEYS)) {
            return new RelayConfig.Listen(List.of(), List.of());
        }
        JsonNode h = YamlTree.optional(node, "http");
        JsonNode s = YamlTree.optional(node, "tls");
        if (h == null && s == null) {
            t.problem("listen", "no listener (expected: at least one of http, tls)");
        }
        List<Entry> http = h == null ? List.of() : listener(t, "listen.http", h);
        List<Entry> tls = s == null ? List.of() : listener(t, "listen.tls", s);
        List<Entry> all = new ArrayList<>(http);
        all.addAll(tls);
        for (int i = 0; i < all.size(); i++) {
            for (int j = 0; j < i; j++) {
                Entry a = all.get(i);
                Entry b = all.get(j);
                if (overlap(a.socket(), b.socket())) {
                    t.expected(
                            a.path(),
                            a.node(),
                            "an address and port no other listen address covers; " + b.path() + " "
                                    + YamlTree.quote(HostPort.format(b.socket().address())) + " does");
                }
            }
        }
        JsonNode d = YamlTree.optional(node, "defer_accept");
        Duration defer = d == null ? RelayConfig.Listen.DEFAULT_DEFER_ACCEPT : deferAccept(t, d);
        return new RelayConfig.Listen(sockets(http), sockets(tls), defer);
    }

    /** {@code listen.defer_accept}: {@code 0s} to {@code 1m} in whole seconds, or that many seconds as a number. */
    private static Duration deferAccept(YamlTree t, JsonNode node) {
        Duration max = RelayConfig.Listen.MAX_DEFER_ACCEPT;
        Duration d = null;
        if (node.isString()) {
            d = DurationText.parse(node.stringValue());
        } else if (node.isIntegralNumber() && node.canConvertToLong()) {
            d = Duration.ofSeconds(node.longValue());
        }
        if (d == null || d.isNegative() || d.compareTo(max) > 0 || d.toMillisPart() != 0) {
            t.expected(
                    "listen.defer_accept",
                    node,
                    "whole seconds from 0s (off) to " + DurationText.format(max)
                            + ", as a duration like 1s or a number of seconds");
            return RelayConfig.Listen.DEFAULT_DEFER_ACCEPT;
        }
        return d;
    }

    private static List<RelayConfig.ListenSocket> sockets(List<Entry> entries) {
        return entries.stream().map(Entry::socket).toList();
    }

    /** One listener: an address, or a non-empty list of at most {@link #MAX_ADDRESSES}. */
    private static List<Entry> listener(YamlTree t, String path, JsonNode node) {
        List<String> paths = new ArrayList<>();
        List<JsonNode> nodes = new ArrayList<>();
        if (node.isArray()) {
            if (node.isEmpty() || node.size() > MAX_ADDRESSES) {
                t.expected(path, node, "one address, or a list of 1 to " + MAX_ADDRESSES + " addresses");
                return List.of();
            }
            for (int i = 0; i < node.size(); i++) {
                paths.add(YamlTree.index(path, i));
                nodes.add(node.get(i));
            }
        } else {
            paths.add(path);
            nodes.add(node);
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            addresses.add(t.address(paths.get(i), nodes.get(i), 0, ROLE));
        }
        boolean hasIpv4 = addresses.stream().anyMatch(a -> a != null && a.getAddress() instanceof Inet4Address);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            InetSocketAddress a = addresses.get(i);
            if (a != null) {
                boolean ipv6Only = hasIpv4 && a.getAddress() instanceof Inet6Address;
                entries.add(new Entry(paths.get(i), nodes.get(i), new RelayConfig.ListenSocket(a, ipv6Only)));
            }
        }
        return entries;
    }

    /**
     * Whether one socket could not tell {@code a} and {@code b} apart: the same port (0 never
     * collides: each gets a free port of its own), and the same address, or a wildcard of the
     * other's family, or an IPv6 wildcard that is dual-stack against any IPv4 address.
     */
    static boolean overlap(RelayConfig.ListenSocket a, RelayConfig.ListenSocket b) {
        int port = a.address().getPort();
        if (port == 0 || port != b.address().getPort()) {
            return false;
        }
        InetAddress x = a.address().getAddress();
        InetAddress y = b.address().getAddress();
        boolean xv4 = x instanceof Inet4Address;
        boolean yv4 = y instanceof Inet4Address;
        if (xv4 == yv4) {
            return x.equals(y) || x.isAnyLocalAddress() || y.isAnyLocalAddress();
        }
        RelayConfig.ListenSocket v6 = xv4 ? b : a;
        return v6.address().getAddress().isAnyLocalAddress() && !v6.ipv6Only();
    }
}
