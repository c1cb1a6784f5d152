package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.net.HostPort;
import co.airdress.relay.sni.ClientHelloPeek;
import co.airdress.relay.tunnel.config.SecretFile;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The relay's config file (YAML): parse and validate into {@link RelayConfig}, with defaults.
 * Every problem is reported with its path; any problem rejects the whole file.
 *
 * <p>Defaults (see relay/README.md): no listener unless configured (at least one is required);
 * {@code management.listen} 127.0.0.1:9090, no token file (/v1 changes refused, /v1 reads open), no
 * controller status address;
 * {@code operators_file} operators.yaml beside the config file; limits max_connections 100000,
 * max_connections_per_ip 256, max_peeking_per_ip 32, ipv6_prefix 64, max_client_hello 16KiB,
 * max_tls_peek max_client_hello plus 5 bytes per 64 (17664 bytes), max_http_head 16KiB; timeouts
 * peek 10s, connect 5s, idle 5m; drain delay 10s, timeout 5m; upstreams allow_loopback false.
 * {@link #read} also refuses secret files that group or others may access
 * ({@link #secretFileProblems}).
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
            "pop",
            "listen",
            "management",
            "operators_file",
            "limits",
            "timeouts",
            "drain",
            "wireguard",
            "upstreams",
            "directory",
            "backhaul");
    private static final Set<String> MANAGEMENT_KEYS = Set.of("listen", "token_file", "controller_status");
    private static final Set<String> LIMITS_KEYS = Set.of(
            "max_connections",
            "max_connections_per_ip",
            "max_peeking_per_ip",
            "ipv6_prefix",
            "max_client_hello",
            "max_tls_peek",
            "max_http_head");
    private static final Set<String> TIMEOUTS_KEYS = Set.of("peek", "connect", "idle");
    private static final Set<String> DRAIN_KEYS = Set.of("delay", "timeout");
    private static final Set<String> UPSTREAMS_KEYS = Set.of("allow_loopback");

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
        Parsed<RelayConfig> parsed = parse(text, file.toString(), dir == null ? Path.of(".") : dir);
        if (parsed instanceof Parsed.Ok<RelayConfig> ok) {
            List<ConfigProblem> unprotected = secretFileProblems(ok.value());
            if (!unprotected.isEmpty()) {
                return new Parsed.Invalid<>(file.toString(), unprotected);
            }
        }
        return parsed;
    }

    /**
     * The secret files the config names ({@code management.token_file},
     * {@code wireguard.private_key_file}) that group or others may access ({@link SecretFile}): the
     * relay refuses to start with one, as ssh refuses such a private key. A file that does not exist
     * is not a problem here (reading it fails at start, naming it).
     */
    public static List<ConfigProblem> secretFileProblems(RelayConfig config) {
        requireNonNull(config, "config");
        List<ConfigProblem> problems = new ArrayList<>();
        Path token = config.management().tokenFile();
        String tokenProblem = token == null ? null : SecretFile.problem(token);
        if (tokenProblem != null) {
            problems.add(new ConfigProblem("management.token_file", tokenProblem));
        }
        WireGuardConfig wireguard = config.wireguard();
        String keyProblem = wireguard == null ? null : SecretFile.problem(wireguard.privateKeyFile());
        if (keyProblem != null) {
            problems.add(new ConfigProblem("wireguard.private_key_file", keyProblem));
        }
        BackhaulConfig backhaul = config.backhaul();
        String meshKeyProblem = backhaul == null ? null : SecretFile.problem(backhaul.privateKeyFile());
        if (meshKeyProblem != null) {
            problems.add(new ConfigProblem("backhaul.private_key_file", meshKeyProblem));
        }
        return problems;
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

        RelayConfig.Listen listen = ListenSection.read(t, root);
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
        String publicEndpoint = WireGuardSection.publicEndpoint(t, root);
        RelayConfig.Upstreams upstreams = upstreams(t, root);
        DirectoryConfig directory = DirectorySection.read(t, root, baseDir, of != null);
        JsonNode dn = YamlTree.optional(root, "directory");
        BackhaulConfig backhaul =
                BackhaulSection.read(t, root, baseDir, directory, dn != null && YamlTree.optional(dn, "kafka") != null);

        if (!t.problems.isEmpty() || pop == null) {
            return new Parsed.Invalid<>(source, t.problems);
        }
        return new Parsed.Ok<>(new RelayConfig(
                pop,
                listen,
                management,
                operatorsFile.normalize(),
                limits,
                timeouts,
                drain,
                wireguard,
                upstreams,
                directory,
                backhaul,
                publicEndpoint));
    }

    private static RelayConfig.Management management(YamlTree t, JsonNode root, Path baseDir) {
        InetSocketAddress listen = HostPort.parse(DEFAULT_MANAGEMENT_LISTEN, 0);
        Path tokenFile = null;
        InetSocketAddress controllerStatus = null;
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
            JsonNode cs = YamlTree.optional(node, "controller_status");
            if (cs != null) {
                controllerStatus = t.address(
                        "management.controller_status", cs, 1, "the controller's --status-listen, e.g. 127.0.0.1:9191");
            }
        }
        return new RelayConfig.Management(
                requireNonNull(listen, "default management address"), tokenFile, controllerStatus);
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
        int ipv6Prefix = intOr(
                t,
                node,
                "limits",
                "ipv6_prefix",
                SourcePrefix.MIN_IPV6_LENGTH,
                SourcePrefix.MAX_IPV6_LENGTH,
                d.ipv6Prefix());
        int hello = sizeOr(t, node, "limits", "max_client_hello", 512, 64 * 1024, d.maxClientHello());
        int tlsPeek = ClientHelloPeek.maxBytesFor(hello);
        JsonNode peekNode = YamlTree.optional(node, "max_tls_peek");
        if (peekNode != null) {
            int configured = t.size("limits.max_tls_peek", peekNode, 512, 256 * 1024, tlsPeek);
            if (configured < hello + 5) {
                t.expected(
                        "limits.max_tls_peek",
                        peekNode,
                        "at least max_client_hello + 5 = " + (hello + 5)
                                + " bytes: a hello at the cap and its record header");
            } else {
                tlsPeek = configured;
            }
        }
        int head = sizeOr(t, node, "limits", "max_http_head", 512, 64 * 1024, d.maxHttpHead());
        return new RelayConfig.Limits(maxConnections, perIp, peeking, ipv6Prefix, hello, tlsPeek, head);
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

    private static RelayConfig.Upstreams upstreams(YamlTree t, JsonNode root) {
        JsonNode node = YamlTree.optional(root, "upstreams");
        if (node == null || !t.object("upstreams", node, UPSTREAMS_KEYS)) {
            return RelayConfig.Upstreams.DEFAULT;
        }
        JsonNode v = YamlTree.optional(node, "allow_loopback");
        if (v == null) {
            return RelayConfig.Upstreams.DEFAULT;
        }
        if (!v.isBoolean()) {
            t.expected("upstreams.allow_loopback", v, "true or false");
            return RelayConfig.Upstreams.DEFAULT;
        }
        return new RelayConfig.Upstreams(v.booleanValue());
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
