package co.airdress.relay.config;

import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerPolicy;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.IntNode;

/**
 * The {@code wireguard:} section of the relay's config file (relay/README.md): the relay's own
 * WireGuard interface, read into the tunnel's {@link WireGuardConfig} with every problem reported
 * with its path, like the other sections.
 */
final class WireGuardSection {

    private static final Set<String> KEYS = Set.of(
            "interface",
            "private_key_file",
            "listen_port",
            "listen_addresses",
            "addresses",
            "mtu",
            "state_file",
            "max_active_peers",
            "idle_peer_timeout",
            "reattach",
            "public_endpoint");
    /** The most peers created just in time that a PoP may be told to hold. */
    static final int MAX_ACTIVE_PEERS_LIMIT = 1_000_000;

    private static final Duration MAX_IDLE_PEER_TIMEOUT = Duration.ofDays(1);
    private static final String ENDPOINT = "host:port, the address operators dial (the network's anycast address and"
            + " WireGuard port), like \"192.0.2.1:51820\", \"[2001:db8::1]:51820\" or \"wg.example.net:51820\"";
    private static final java.util.regex.Pattern DNS_NAME = java.util.regex.Pattern.compile(
            "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final String ADDRESS = "an IPv4 or IPv6 literal with a prefix length (up to /32 and /128), "
            + "like \"fd00:a1d::1/64\" or \"100.96.0.1/16\"";

    private WireGuardSection() {}

    /** The section under {@code root}, null when absent or invalid (then {@code t} holds the problems). */
    static @Nullable WireGuardConfig read(YamlTree t, JsonNode root, Path baseDir) {
        JsonNode node = YamlTree.optional(root, "wireguard");
        if (node == null || !t.object("wireguard", node, KEYS)) {
            return null;
        }
        int before = t.problems.size();
        String name = null;
        JsonNode n = t.required("wireguard", node, "interface");
        if (n != null) {
            name = t.string("wireguard.interface", n, WireGuardConfig.INTERFACE_NAME_RULE);
            if (name != null && !WireGuardConfig.isValidInterfaceName(name)) {
                t.expected("wireguard.interface", n, WireGuardConfig.INTERFACE_NAME_RULE);
            }
        }
        Path keyFile = path(t, node, "private_key_file", true, baseDir);
        int port = integer(t, node, "listen_port", 0, 65535, WireGuardConfig.DEFAULT_LISTEN_PORT);
        List<IpPrefix> addresses = addresses(t, node);
        int mtu =
                integer(t, node, "mtu", WireGuardConfig.MIN_MTU, WireGuardConfig.MAX_MTU, WireGuardConfig.DEFAULT_MTU);
        Path stateFile = path(t, node, "state_file", false, baseDir);
        List<InetAddress> listenAddresses = listenAddresses(t, node);
        int maxPeers =
                integer(t, node, "max_active_peers", 1, MAX_ACTIVE_PEERS_LIMIT, PeerPolicy.DEFAULT_MAX_ACTIVE_PEERS);
        JsonNode idleNode = YamlTree.optional(node, "idle_peer_timeout");
        Duration idle = idleNode == null
                ? PeerPolicy.DEFAULT_IDLE_TIMEOUT
                : t.duration(
                        "wireguard.idle_peer_timeout",
                        idleNode,
                        MAX_IDLE_PEER_TIMEOUT,
                        PeerPolicy.DEFAULT_IDLE_TIMEOUT);
        boolean reattach = true;
        JsonNode reattachNode = YamlTree.optional(node, "reattach");
        if (reattachNode != null) {
            if (reattachNode.isBoolean()) {
                reattach = reattachNode.booleanValue();
            } else {
                t.expected("wireguard.reattach", reattachNode, "true or false");
            }
        }
        if (t.problems.size() != before || name == null || keyFile == null) {
            return null;
        }
        return new WireGuardConfig(
                name,
                keyFile,
                port,
                addresses,
                mtu,
                stateFile,
                listenAddresses,
                new PeerPolicy(maxPeers, idle, reattach));
    }

    private static List<InetAddress> listenAddresses(YamlTree t, JsonNode node) {
        String expectation = "an IPv4 or IPv6 literal without a prefix length, like \"192.0.2.1\" or \"2001:db8::1\"";
        List<InetAddress> out = new ArrayList<>();
        JsonNode list = YamlTree.optional(node, "listen_addresses");
        if (list == null) {
            return out;
        }
        if (!list.isArray()) {
            t.expected("wireguard.listen_addresses", list, "a list such as [\"192.0.2.1\", \"2001:db8::1\"]");
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            String path = YamlTree.index("wireguard.listen_addresses", i);
            String text = t.string(path, list.get(i), expectation);
            if (text == null) {
                continue;
            }
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(text);
            } catch (IllegalArgumentException e) {
                t.expected(path, list.get(i), expectation);
                continue;
            }
            if (out.contains(address)) {
                t.problem(path, YamlTree.show(list.get(i)) + " listed twice (expected: each address once)");
                continue;
            }
            out.add(address);
        }
        return out;
    }

    /**
     * {@code wireguard.public_endpoint}: {@code host:port} (an IP literal, an IPv6 one in brackets,
     * or a DNS name, which is never resolved here), or null when absent or invalid (then {@code t}
     * holds the problem).
     */
    static @Nullable String publicEndpoint(YamlTree t, JsonNode root) {
        JsonNode node = YamlTree.optional(root, "wireguard");
        JsonNode value = node == null || !node.isObject() ? null : YamlTree.optional(node, "public_endpoint");
        if (value == null) {
            return null;
        }
        String text = t.string("wireguard.public_endpoint", value, ENDPOINT);
        if (text == null) {
            return null;
        }
        if (co.airdress.relay.net.HostPort.parse(text, 1) != null) {
            return text;
        }
        int colon = text.lastIndexOf(':');
        String host = colon <= 0 ? "" : text.substring(0, colon);
        String port = colon <= 0 ? "" : text.substring(colon + 1);
        boolean portOk = port.length() >= 1
                && port.length() <= 5
                && port.chars().allMatch(c -> c >= '0' && c <= '9')
                && Integer.parseInt(port) >= 1
                && Integer.parseInt(port) <= 65535;
        // A name, not something that looks like a malformed IP literal.
        if (!portOk
                || !DNS_NAME.matcher(host).matches()
                || host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            t.expected("wireguard.public_endpoint", value, ENDPOINT);
            return null;
        }
        return text;
    }

    private static List<IpPrefix> addresses(YamlTree t, JsonNode node) {
        List<IpPrefix> addresses = new ArrayList<>();
        JsonNode list = t.required("wireguard", node, "addresses");
        if (list == null) {
            return addresses;
        }
        if (!list.isArray()) {
            t.expected("wireguard.addresses", list, "a list such as [\"fd00:a1d::1/64\", \"100.96.0.1/16\"]");
            return addresses;
        }
        if (list.isEmpty()) {
            t.problem("wireguard.addresses", "empty (expected: at least one address with its prefix length)");
        }
        for (int i = 0; i < list.size(); i++) {
            String path = YamlTree.index("wireguard.addresses", i);
            String text = t.string(path, list.get(i), ADDRESS);
            if (text == null) {
                continue;
            }
            try {
                addresses.add(IpPrefix.parse(text));
            } catch (IllegalArgumentException e) {
                t.expected(path, list.get(i), ADDRESS);
            }
        }
        return addresses;
    }

    /** A file path resolved against {@code baseDir}; a required one missing is a problem. */
    private static @Nullable Path path(YamlTree t, JsonNode node, String key, boolean required, Path baseDir) {
        String path = YamlTree.join("wireguard", key);
        JsonNode value = required ? t.required("wireguard", node, key) : YamlTree.optional(node, key);
        if (value == null) {
            return null;
        }
        String text = t.string(path, value, "a file path");
        if (text != null && text.isBlank()) {
            t.expected(path, value, "a file path");
            return null;
        }
        return text == null ? null : baseDir.resolve(text).normalize();
    }

    /** An integer in range; a quoted one ({@code "1420"}) is read as its number. */
    private static int integer(YamlTree t, JsonNode node, String key, int min, int max, int fallback) {
        JsonNode value = YamlTree.optional(node, key);
        if (value == null) {
            return fallback;
        }
        if (value.isString()) {
            try {
                value = IntNode.valueOf(Integer.parseInt(value.stringValue()));
            } catch (NumberFormatException e) {
                // not a number: reported below as it was written
            }
        }
        return t.integer(YamlTree.join("wireguard", key), value, min, max, fallback);
    }
}
