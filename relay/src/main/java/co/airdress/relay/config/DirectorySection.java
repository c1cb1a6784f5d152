package co.airdress.relay.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The {@code directory:} section of the relay's config file (relay/README.md), read into
 * {@link DirectoryConfig} with every problem reported with its path, like the other sections.
 */
final class DirectorySection {

    private static final Set<String> KEYS = Set.of("kafka", "snapshot_file", "snapshot_interval");
    private static final Set<String> KAFKA_KEYS = Set.of(
            "bootstrap_servers",
            "topic",
            "properties",
            "start_timeout",
            "request_timeout",
            "write_timeout",
            "probe_interval",
            "attachments_topic");

    /**
     * Client properties the relay sets itself: what makes its reading and writing correct (no
     * group, no transactions, idempotent acks=all writes, byte-array records) and what its own
     * options already say.
     */
    static final Set<String> RESERVED_PROPERTIES = Set.of(
            "bootstrap.servers",
            "key.serializer",
            "value.serializer",
            "key.deserializer",
            "value.deserializer",
            "group.id",
            "group.instance.id",
            "group.protocol",
            "enable.auto.commit",
            "auto.offset.reset",
            "allow.auto.create.topics",
            "isolation.level",
            "enable.idempotence",
            "acks",
            "transactional.id",
            "max.block.ms",
            "delivery.timeout.ms",
            "request.timeout.ms",
            "default.api.timeout.ms");

    private static final String SERVERS = "host:port[,host:port...], the brokers' addresses";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\]");
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private DirectorySection() {}

    /**
     * The section under {@code root}, null when absent or invalid (then {@code t} holds the
     * problems). {@code operatorsFileGiven}: the config also names an {@code operators_file}, which
     * is a problem with a {@code directory.kafka}.
     */
    static @Nullable DirectoryConfig read(YamlTree t, JsonNode root, Path baseDir, boolean operatorsFileGiven) {
        JsonNode node = YamlTree.optional(root, "directory");
        if (node == null || !t.object("directory", node, KEYS)) {
            return null;
        }
        int before = t.problems.size();
        DirectoryConfig.Kafka kafka = kafka(t, node);
        if (operatorsFileGiven && YamlTree.optional(node, "kafka") != null) {
            t.problem(
                    "directory.kafka",
                    "given with operators_file (expected: exactly one of operators_file, directory.kafka: the "
                            + "operators come from the file or from the log, not both)");
        }
        Path snapshot = baseDir.resolve(DirectoryConfig.DEFAULT_SNAPSHOT_FILE).normalize();
        JsonNode sf = YamlTree.optional(node, "snapshot_file");
        if (sf != null) {
            String s = t.string("directory.snapshot_file", sf, "a file path");
            if (s != null && s.isBlank()) {
                t.expected("directory.snapshot_file", sf, "a file path");
            } else if (s != null) {
                snapshot = baseDir.resolve(s).normalize();
            }
        }
        Duration interval = duration(
                t,
                node,
                "directory",
                "snapshot_interval",
                Duration.ofHours(1),
                DirectoryConfig.DEFAULT_SNAPSHOT_INTERVAL);
        if (t.problems.size() != before || kafka == null) {
            return null;
        }
        return new DirectoryConfig(kafka, snapshot, interval);
    }

    private static DirectoryConfig.@Nullable Kafka kafka(YamlTree t, JsonNode directory) {
        JsonNode node = t.required("directory", directory, "kafka");
        if (node == null || !t.object("directory.kafka", node, KAFKA_KEYS)) {
            return null;
        }
        String path = "directory.kafka";
        String servers = null;
        JsonNode bs = t.required(path, node, "bootstrap_servers");
        if (bs != null) {
            servers = t.string(path + ".bootstrap_servers", bs, SERVERS);
            if (servers != null && !validServers(servers)) {
                t.expected(path + ".bootstrap_servers", bs, SERVERS);
                servers = null;
            }
        }
        String topic = topic(t, node, path, "topic", DirectoryConfig.DEFAULT_TOPIC);
        String attachments = topic(t, node, path, "attachments_topic", DirectoryConfig.DEFAULT_ATTACHMENTS_TOPIC);
        if (attachments.equals(topic) && YamlTree.optional(node, "attachments_topic") != null) {
            t.problem(
                    path + ".attachments_topic",
                    "\"" + attachments + "\" is the directory's topic (expected: a topic of its own)");
        }
        Map<String, String> properties = properties(t, node);
        Duration max = Duration.ofMinutes(5);
        Duration start = duration(t, node, path, "start_timeout", max, DirectoryConfig.Kafka.DEFAULT_START_TIMEOUT);
        Duration request =
                duration(t, node, path, "request_timeout", max, DirectoryConfig.Kafka.DEFAULT_REQUEST_TIMEOUT);
        Duration write = duration(t, node, path, "write_timeout", max, DirectoryConfig.Kafka.DEFAULT_WRITE_TIMEOUT);
        Duration probe = duration(t, node, path, "probe_interval", max, DirectoryConfig.Kafka.DEFAULT_PROBE_INTERVAL);
        if (servers == null) {
            return null;
        }
        return new DirectoryConfig.Kafka(servers, topic, properties, start, request, write, probe, attachments);
    }

    private static String topic(YamlTree t, JsonNode node, String path, String key, String fallback) {
        JsonNode tn = YamlTree.optional(node, key);
        if (tn == null) {
            return fallback;
        }
        String expectation = "a Kafka topic name: 1 to 249 characters a-z, A-Z, 0-9, '.', '_' and '-'";
        String s = t.string(path + "." + key, tn, expectation);
        if (s != null && (!TOPIC.matcher(s).matches() || s.equals(".") || s.equals(".."))) {
            t.expected(path + "." + key, tn, expectation);
            return fallback;
        }
        return s == null ? fallback : s;
    }

    private static Map<String, String> properties(YamlTree t, JsonNode kafka) {
        Map<String, String> properties = new LinkedHashMap<>();
        JsonNode node = YamlTree.optional(kafka, "properties");
        String path = "directory.kafka.properties";
        if (node == null) {
            return properties;
        }
        if (!node.isObject()) {
            t.expected(path, node, "a mapping of Kafka client properties, like { security.protocol: SSL }");
            return properties;
        }
        for (var e : node.properties()) {
            String key = e.getKey();
            JsonNode value = e.getValue();
            String p = YamlTree.join(path, key);
            if (RESERVED_PROPERTIES.contains(key)) {
                t.problem(
                        p,
                        "set by the relay (expected: a property other than "
                                + String.join(
                                        ", ",
                                        RESERVED_PROPERTIES.stream().sorted().toList())
                                + "; bootstrap servers and timeouts have options of their own)");
            } else if (value.isObject() || value.isArray() || value.isNull()) {
                t.expected(p, value, "a string, number or boolean");
            } else {
                properties.put(key, value.isString() ? value.stringValue() : value.asString());
            }
        }
        return properties;
    }

    private static boolean validServers(String text) {
        if (text.isBlank()) {
            return false;
        }
        for (String server : text.split(",", -1)) {
            String s = server.trim();
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || !HOST.matcher(s.substring(0, colon)).matches()) {
                return false;
            }
            try {
                int port = Integer.parseInt(s.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    private static Duration duration(
            YamlTree t, JsonNode parent, String path, String key, Duration max, Duration fallback) {
        JsonNode v = YamlTree.optional(parent, key);
        return v == null ? fallback : t.duration(YamlTree.join(path, key), v, max, fallback);
    }
}
