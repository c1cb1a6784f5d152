package co.airdress.relay.config;

import co.airdress.relay.proxy.ProxyV2Decoder;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** The {@code backhaul:} section of the relay's config file (relay/README.md), every problem with its path. */
final class BackhaulSection {

    private static final String PATH = "backhaul";
    private static final Set<String> KEYS = Set.of(
            "interface",
            "private_key_file",
            "addresses",
            "listen_port",
            "endpoint",
            "port",
            "mtu",
            "topic",
            "max_pops",
            "header_timeout",
            "max_header");
    private static final String ADDRESS = "an IPv4 or IPv6 literal with the mesh's prefix length, "
            + "like \"fd00:a1d:b::1/64\" or \"100.127.0.1/24\" (at most one per family)";
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private BackhaulSection() {}

    /**
     * The section under {@code root}, null when absent or invalid (then {@code t} holds the
     * problems). {@code directory}: whether the config has a valid-looking {@code directory:}
     * section, which the backhaul needs (the announcements live in its log).
     */
    static @Nullable BackhaulConfig read(
            YamlTree t, JsonNode root, Path baseDir, @Nullable DirectoryConfig directory, boolean directoryGiven) {
        JsonNode node = YamlTree.optional(root, PATH);
        if (node == null || !t.object(PATH, node, KEYS)) {
            return null;
        }
        int before = t.problems.size();
        if (!directoryGiven) {
            t.problem(
                    PATH,
                    "given without directory.kafka (expected: a directory: section with kafka: the PoPs "
                            + "announce themselves on a topic of the directory's log)");
        }
        String name = null;
        JsonNode n = t.required(PATH, node, "interface");
        if (n != null) {
            name = t.string("backhaul.interface", n, WireGuardConfig.INTERFACE_NAME_RULE);
            if (name != null && !WireGuardConfig.isValidInterfaceName(name)) {
                t.expected("backhaul.interface", n, WireGuardConfig.INTERFACE_NAME_RULE);
                name = null;
            }
        }
        Path keyFile = null;
        JsonNode kf = t.required(PATH, node, "private_key_file");
        if (kf != null) {
            String s = t.string("backhaul.private_key_file", kf, "a file path");
            if (s != null && s.isBlank()) {
                t.expected("backhaul.private_key_file", kf, "a file path");
            } else if (s != null) {
                keyFile = baseDir.resolve(s).normalize();
            }
        }
        List<IpPrefix> addresses = addresses(t, node);
        int listenPort = integer(t, node, "listen_port", 1, 65535, BackhaulConfig.DEFAULT_LISTEN_PORT);
        InetSocketAddress endpoint = null;
        JsonNode ep = t.required(PATH, node, "endpoint");
        if (ep != null) {
            endpoint = t.address("backhaul.endpoint", ep, 1, "this PoP's underlay address the other PoPs dial");
        }
        int port = integer(t, node, "port", 1, 65535, BackhaulConfig.DEFAULT_PORT);
        int mtu =
                integer(t, node, "mtu", WireGuardConfig.MIN_MTU, WireGuardConfig.MAX_MTU, WireGuardConfig.DEFAULT_MTU);
        String topic = BackhaulConfig.DEFAULT_TOPIC;
        JsonNode tn = YamlTree.optional(node, "topic");
        if (tn != null) {
            String expectation = "a Kafka topic name: 1 to 249 characters a-z, A-Z, 0-9, '.', '_' and '-'";
            String s = t.string("backhaul.topic", tn, expectation);
            if (s != null && (!TOPIC.matcher(s).matches() || s.equals(".") || s.equals(".."))) {
                t.expected("backhaul.topic", tn, expectation);
            } else if (s != null) {
                topic = s;
            }
        }
        if (directory != null && topic.equals(directory.kafka().topic())) {
            t.problem(
                    "backhaul.topic",
                    YamlTree.quote(topic) + " is the directory's topic (expected: a topic of its own)");
        }
        int maxPops = integer(t, node, "max_pops", 1, 4096, BackhaulConfig.DEFAULT_MAX_POPS);
        Duration headerTimeout = BackhaulConfig.DEFAULT_HEADER_TIMEOUT;
        JsonNode ht = YamlTree.optional(node, "header_timeout");
        if (ht != null) {
            headerTimeout = t.duration(
                    "backhaul.header_timeout", ht, Duration.ofMinutes(1), BackhaulConfig.DEFAULT_HEADER_TIMEOUT);
        }
        int maxHeader = BackhaulConfig.DEFAULT_MAX_HEADER;
        JsonNode mh = YamlTree.optional(node, "max_header");
        if (mh != null) {
            // the fixed part, IPv6 addresses, and TLVs for a full-length host name and both PoP names
            maxHeader = t.size(
                    "backhaul.max_header", mh, 512, ProxyV2Decoder.MAX_POSSIBLE, BackhaulConfig.DEFAULT_MAX_HEADER);
        }
        if (t.problems.size() != before || name == null || keyFile == null || endpoint == null || addresses.isEmpty()) {
            return null;
        }
        return new BackhaulConfig(
                name, keyFile, addresses, listenPort, endpoint, port, mtu, topic, maxPops, headerTimeout, maxHeader);
    }

    private static List<IpPrefix> addresses(YamlTree t, JsonNode node) {
        List<IpPrefix> addresses = new ArrayList<>();
        JsonNode list = t.required(PATH, node, "addresses");
        if (list == null) {
            return addresses;
        }
        if (!list.isArray()) {
            t.expected("backhaul.addresses", list, "a list such as [\"fd00:a1d:b::1/64\", \"100.127.0.1/24\"]");
            return addresses;
        }
        if (list.isEmpty()) {
            t.problem("backhaul.addresses", "empty (expected: this PoP's mesh address, one per family)");
        }
        boolean v4 = false;
        boolean v6 = false;
        for (int i = 0; i < list.size(); i++) {
            String path = YamlTree.index("backhaul.addresses", i);
            String text = t.string(path, list.get(i), ADDRESS);
            if (text == null) {
                continue;
            }
            IpPrefix p;
            try {
                p = IpPrefix.parse(text);
            } catch (IllegalArgumentException e) {
                t.expected(path, list.get(i), ADDRESS);
                continue;
            }
            boolean isV4 = !p.isIpv6();
            if (isV4 ? v4 : v6) {
                t.expected(path, list.get(i), ADDRESS);
                continue;
            }
            if (isV4) {
                v4 = true;
            } else {
                v6 = true;
            }
            addresses.add(p);
        }
        return addresses;
    }

    private static int integer(YamlTree t, JsonNode node, String key, int min, int max, int fallback) {
        JsonNode value = YamlTree.optional(node, key);
        return value == null ? fallback : t.integer(YamlTree.join(PATH, key), value, min, max, fallback);
    }
}
