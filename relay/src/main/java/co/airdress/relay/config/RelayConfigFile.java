package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The relay's config file (YAML): parse and validate into {@link RelayConfig}, with defaults.
 * Every problem is reported with its path; any problem rejects the whole file.
 *
 * <p>Defaults (see relay/README.md): no listener unless configured (at least one is required);
 * {@code management.listen} 127.0.0.1:9090, no token file (mutating /v1 calls refused);
 * {@code operators_file} operators.yaml beside the config file; limits max_connections 100000,
 * max_connections_per_ip 256, max_peeking_per_ip 32, max_client_hello 16KiB, max_http_head
 * 16KiB; timeouts peek 10s, connect 5s, idle 5m; drain delay 10s, timeout 5m.
 */
public final class RelayConfigFile {

    public static final String DEFAULT_MANAGEMENT_LISTEN = "127.0.0.1:9090";
    public static final String DEFAULT_OPERATORS_FILE = "operators.yaml";
    public static final RelayConfig.Limits DEFAULT_LIMITS =
            new RelayConfig.Limits(100_000, 256, 32, 16 * 1024, 16 * 1024);
    public static final RelayConfig.Timeouts DEFAULT_TIMEOUTS =
            new RelayConfig.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofMinutes(5));
    public static final RelayConfig.Drain DEFAULT_DRAIN =
            new RelayConfig.Drain(Duration.ofSeconds(10), Duration.ofMinutes(5));

    private static final Set<String> ROOT_KEYS = Set.of(
            "pop", "listen", "management", "operators_file", "limits", "timeouts", "drain", "wireguard", "directory");
    private static final Set<String> LISTEN_KEYS = Set.of("http", "tls");
    private static final Set<String> MANAGEMENT_KEYS = Set.of("listen", "token_file");
    private static final Set<String> LIMITS_KEYS = Set.of(
            "max_connections", "max_connections_per_ip", "max_peeking_per_ip", "max_client_hello", "max_http_head");
    private static final Set<String> TIMEOUTS_KEYS = Set.of("peek", "connect", "idle");
    private static final Set<String> DRAIN_KEYS = Set.of("delay", "timeout");

    private RelayConfigFile() {}

    public static Parsed<RelayConfig> read(Path file) {
        requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new Parsed.Invalid<>(
                    file.toString(), List.of(new ConfigProblem("(file)", "cannot read " + file + ": " + e)));
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, file.toString(), dir == null ? Path.of(".") : dir);
    }

    /** Relative paths in the file are resolved against the working directory. */
    public static Parsed<RelayConfig> parse(String yaml, String source) {
        return parse(yaml, source, Path.of(""));
    }

    /** Relative paths in the file ({@code operators_file}, {@code token_file}) resolve against {@code baseDir}. */
    public static Parsed<RelayConfig> parse(String yaml, String source, Path baseDir) {
        requireNonNull(yaml, "yaml");
        requireNonNull(source, "source");
        requireNonNull(baseDir, "baseDir");
        YamlTree t = new YamlTree();
        JsonNode root = t.parse(yaml, source);
        if (root == null || !t.object("", root, ROOT_KEYS)) {
            if (root != null && t.problems.isEmpty()) {
                t.problem("(root)", "not a mapping (expected: a YAML mapping with keys pop, listen, ...)");
            }
            return new Parsed.Invalid<>(source, t.problems);
        }

        String pop = null;
        JsonNode popNode = t.required("", root, "pop");
        if (popNode != null) {
            pop = t.name("pop", popNode);
        }

        RelayConfig.Listen listen = listen(t, root);
        RelayConfig.Management management = management(t, root, baseDir);

        Path operatorsFile = baseDir.resolve(DEFAULT_OPERATORS_FILE);
        JsonNode of = YamlTree.optional(root, "operators_file");
        if (of != null) {
            String s = t.string("operators_file", of, "a file path");
            if (s != null) {
                operatorsFile = baseDir.resolve(s);
            }
        }

        RelayConfig.Limits limits = limits(t, root);
        RelayConfig.Timeouts timeouts = timeouts(t, root);
        RelayConfig.Drain drain = drain(t, root);
        WireGuardConfig wireguard = WireGuardSection.read(t, root, baseDir);
        DirectoryConfig directory = DirectorySection.read(t, root, baseDir, of != null);

        if (!t.problems.isEmpty() || pop == null) {
            return new Parsed.Invalid<>(source, t.problems);
        }
        return new Parsed.Ok<>(new RelayConfig(
                pop, listen, management, operatorsFile.normalize(), limits, timeouts, drain, wireguard, directory));
    }

    private static RelayConfig.Listen listen(YamlTree t, JsonNode root) {
        JsonNode node = t.required("", root, "listen");
        if (node == null || !t.object("listen", node, LISTEN_KEYS)) {
            return new RelayConfig.Listen(null, null);
        }
        InetSocketAddress http = null;
        InetSocketAddress tls = null;
        JsonNode h = YamlTree.optional(node, "http");
        if (h != null) {
            http = t.address("listen.http", h, 0, "[::] or 0.0.0.0 for every address; port 0 picks a free one");
        }
        JsonNode s = YamlTree.optional(node, "tls");
        if (s != null) {
            tls = t.address("listen.tls", s, 0, "[::] or 0.0.0.0 for every address; port 0 picks a free one");
        }
        if (h == null && s == null) {
            t.problem("listen", "no listener (expected: at least one of http, tls)");
        }
        return new RelayConfig.Listen(http, tls);
    }

    private static RelayConfig.Management management(YamlTree t, JsonNode root, Path baseDir) {
        InetSocketAddress listen = HostPort.parse(DEFAULT_MANAGEMENT_LISTEN, 0);
        Path tokenFile = null;
        JsonNode node = YamlTree.optional(root, "management");
        if (node != null && t.object("management", node, MANAGEMENT_KEYS)) {
            JsonNode l = YamlTree.optional(node, "listen");
            if (l != null) {
                InetSocketAddress a = t.address("management.listen", l, 0, "127.0.0.1 keeps it off the network");
                if (a != null) {
                    listen = a;
                }
            }
            JsonNode tf = YamlTree.optional(node, "token_file");
            if (tf != null) {
                String s = t.string("management.token_file", tf, "a file path");
                if (s != null) {
                    tokenFile = baseDir.resolve(s).normalize();
                }
            }
        }
        return new RelayConfig.Management(requireNonNull(listen, "default management address"), tokenFile);
    }

    private static RelayConfig.Limits limits(YamlTree t, JsonNode root) {
        RelayConfig.Limits d = DEFAULT_LIMITS;
        JsonNode node = YamlTree.optional(root, "limits");
        if (node == null || !t.object("limits", node, LIMITS_KEYS)) {
            return d;
        }
        int maxConnections = intOr(t, node, "limits", "max_connections", 1, 10_000_000, d.maxConnections());
        int perIp = intOr(t, node, "limits", "max_connections_per_ip", 1, 10_000_000, d.maxConnectionsPerIp());
        int peeking = intOr(t, node, "limits", "max_peeking_per_ip", 1, 10_000_000, d.maxPeekingPerIp());
        int hello = sizeOr(t, node, "limits", "max_client_hello", 512, 64 * 1024, d.maxClientHello());
        int head = sizeOr(t, node, "limits", "max_http_head", 512, 64 * 1024, d.maxHttpHead());
        return new RelayConfig.Limits(maxConnections, perIp, peeking, hello, head);
    }

    private static RelayConfig.Timeouts timeouts(YamlTree t, JsonNode root) {
        RelayConfig.Timeouts d = DEFAULT_TIMEOUTS;
        JsonNode node = YamlTree.optional(root, "timeouts");
        if (node == null || !t.object("timeouts", node, TIMEOUTS_KEYS)) {
            return d;
        }
        return new RelayConfig.Timeouts(
                durationOr(t, node, "timeouts", "peek", Duration.ofMinutes(5), d.peek()),
                durationOr(t, node, "timeouts", "connect", Duration.ofMinutes(5), d.connect()),
                durationOr(t, node, "timeouts", "idle", Duration.ofDays(7), d.idle()));
    }

    private static RelayConfig.Drain drain(YamlTree t, JsonNode root) {
        RelayConfig.Drain d = DEFAULT_DRAIN;
        JsonNode node = YamlTree.optional(root, "drain");
        if (node == null || !t.object("drain", node, DRAIN_KEYS)) {
            return d;
        }
        return new RelayConfig.Drain(
                durationOr(t, node, "drain", "delay", Duration.ofHours(1), d.delay()),
                durationOr(t, node, "drain", "timeout", Duration.ofDays(1), d.timeout()));
    }

    private static int intOr(YamlTree t, JsonNode parent, String path, String key, int min, int max, int fallback) {
        @Nullable JsonNode v = YamlTree.optional(parent, key);
        return v == null ? fallback : t.integer(YamlTree.join(path, key), v, min, max, fallback);
    }

    private static int sizeOr(YamlTree t, JsonNode parent, String path, String key, int min, int max, int fallback) {
        @Nullable JsonNode v = YamlTree.optional(parent, key);
        return v == null ? fallback : t.size(YamlTree.join(path, key), v, min, max, fallback);
    }

    private static Duration durationOr(
            YamlTree t, JsonNode parent, String path, String key, Duration max, Duration fallback) {
        @Nullable JsonNode v = YamlTree.optional(parent, key);
        return v == null ? fallback : t.duration(YamlTree.join(path, key), v, max, fallback);
    }
}
