package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.config.KeyText;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * The operators file (YAML, {@code operators: [...]}): parse, validate, write. Any problem
 * rejects the whole file, so a reload never applies half a change.
 */
public final class OperatorsFile {

    private static final Set<String> ROOT_KEYS = Set.of("operators");
    private static final Set<String> OPERATOR_KEYS = Set.of("name", "hosts", "upstream", "wireguard", "proxy_protocol");
    private static final Set<String> WIREGUARD_KEYS = Set.of("public_key", "address", "ports");
    private static final Set<String> UPSTREAM_KEYS = Set.of("http", "tls");
    private static final String UPSTREAM_ROLE = "no DNS on the event loops, so no host names";

    private static final YAMLMapper WRITER = YAMLMapper.builder()
            .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
            .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
            .build();

    private OperatorsFile() {}

    /** Reads and validates the whole file; any problem rejects it whole. */
    public static Parsed<List<Operator>> read(Path file) {
        requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new Parsed.Invalid<>(
                    file.toString(), List.of(new ConfigProblem("(file)", "cannot read " + file + ": " + e)));
        }
        return parse(text, file.toString());
    }

    /** Parses and validates YAML text; {@code source} names it in problems. */
    public static Parsed<List<Operator>> parse(String yaml, String source) {
        requireNonNull(yaml, "yaml");
        requireNonNull(source, "source");
        YamlTree t = new YamlTree();
        JsonNode root = t.parse(yaml, source);
        if (root == null || !t.object("", root, ROOT_KEYS)) {
            return new Parsed.Invalid<>(source, t.problems);
        }
        JsonNode list = YamlTree.optional(root, "operators");
        List<Operator> operators = new ArrayList<>();
        if (list != null && !list.isArray()) {
            t.expected("operators", list, "a list of operators");
        } else if (list != null) {
            for (int i = 0; i < list.size(); i++) {
                Operator op = operator(t, YamlTree.index("operators", i), list.get(i));
                if (op != null) {
                    operators.add(op);
                }
            }
        }
        if (!t.problems.isEmpty()) {
            return new Parsed.Invalid<>(source, t.problems);
        }
        List<ConfigProblem> problems = validate(operators);
        if (!problems.isEmpty()) {
            return new Parsed.Invalid<>(source, problems);
        }
        return new Parsed.Ok<>(List.copyOf(operators));
    }

    private static @Nullable Operator operator(YamlTree t, String path, JsonNode node) {
        if (!t.object(path, node, OPERATOR_KEYS)) {
            return null;
        }
        int before = t.problems.size();
        String name = null;
        JsonNode n = t.required(path, node, "name");
        if (n != null) {
            name = t.name(YamlTree.join(path, "name"), n);
        }
        List<String> hosts = new ArrayList<>();
        JsonNode h = t.required(path, node, "hosts");
        String hostsPath = YamlTree.join(path, "hosts");
        if (h != null && !h.isArray()) {
            t.expected(hostsPath, h, "a list of host names or wildcards");
        } else if (h != null) {
            if (h.isEmpty()) {
                t.problem(hostsPath, "empty (expected: at least one host)");
            }
            for (int i = 0; i < h.size(); i++) {
                String p = YamlTree.index(hostsPath, i);
                String s = t.string(p, h.get(i), "a host name or a wildcard like *.example.com");
                if (s == null) {
                    continue;
                }
                String normalized = HostPattern.normalize(s);
                String expectation = HostPattern.expectation(normalized);
                if (expectation != null) {
                    t.problem(p, YamlTree.quote(s) + " (expected: " + expectation + ")");
                } else {
                    hosts.add(normalized);
                }
            }
        }
        Upstream upstream = null;
        WireGuardPeer wireguard = null;
        JsonNode u = YamlTree.optional(node, "upstream");
        JsonNode wg = YamlTree.optional(node, "wireguard");
        String upPath = YamlTree.join(path, "upstream");
        if (u == null && wg == null) {
            t.problem(upPath, "missing (expected: exactly one of upstream, wireguard)");
        } else if (u != null && wg != null) {
            t.problem(
                    YamlTree.join(path, "wireguard"),
                    "given with upstream (expected: exactly one of upstream, wireguard)");
        }
        if (u != null && t.object(upPath, u, UPSTREAM_KEYS)) {
            JsonNode uh = YamlTree.optional(u, "http");
            JsonNode ut = YamlTree.optional(u, "tls");
            InetSocketAddress http = uh == null ? null : t.address(YamlTree.join(upPath, "http"), uh, 1, UPSTREAM_ROLE);
            InetSocketAddress tls = ut == null ? null : t.address(YamlTree.join(upPath, "tls"), ut, 1, UPSTREAM_ROLE);
            if (uh == null && ut == null) {
                t.problem(upPath, "no address (expected: at least one of http, tls)");
            }
            upstream = new Upstream(http, tls);
        }
        if (wg != null) {
            wireguard = wireguard(t, YamlTree.join(path, "wireguard"), wg);
        }
        ProxyProtocol proxy = ProxyProtocol.NONE;
        JsonNode pp = YamlTree.optional(node, "proxy_protocol");
        if (pp != null) {
            String ppPath = YamlTree.join(path, "proxy_protocol");
            String s = t.string(ppPath, pp, ProxyProtocol.EXPECTATION);
            if (s != null) {
                ProxyProtocol parsed = ProxyProtocol.parse(s);
                if (parsed == null) {
                    t.expected(ppPath, pp, ProxyProtocol.EXPECTATION);
                } else {
                    proxy = parsed;
                }
            }
        }
        if (t.problems.size() != before || name == null || (upstream == null && wireguard == null)) {
            return null;
        }
        return new Operator(name, hosts, upstream, proxy, wireguard);
    }

    private static @Nullable WireGuardPeer wireguard(YamlTree t, String path, JsonNode node) {
        if (!t.object(path, node, WIREGUARD_KEYS)) {
            return null;
        }
        int before = t.problems.size();
        WireGuardKey key = null;
        JsonNode k = t.required(path, node, "public_key");
        String keyPath = YamlTree.join(path, "public_key");
        if (k != null) {
            String s = t.string(keyPath, k, "a public key as printed by 'wg pubkey' (44 characters of base64)");
            if (s != null) {
                try {
                    key = KeyText.parse(s, keyPath);
                } catch (IllegalArgumentException e) {
                    t.problem(
                            keyPath,
                            YamlTree.quote(s) + " (expected: 44 characters of base64 encoding 32 bytes, "
                                    + "as printed by 'wg pubkey')");
                }
            }
        }
        InetAddress address = null;
        JsonNode a = t.required(path, node, "address");
        String addressPath = YamlTree.join(path, "address");
        if (a != null) {
            String s = t.string(addressPath, a, "the operator's tunnel address, an IP literal");
            if (s != null) {
                try {
                    address = InetAddress.ofLiteral(s);
                } catch (IllegalArgumentException e) {
                    t.expected(addressPath, a, "the operator's tunnel address, an IP literal without a prefix length");
                }
            }
        }
        int httpPort = WireGuardPeer.DEFAULT_HTTP_PORT;
        int tlsPort = WireGuardPeer.DEFAULT_TLS_PORT;
        JsonNode ports = YamlTree.optional(node, "ports");
        String portsPath = YamlTree.join(path, "ports");
        if (ports != null && t.object(portsPath, ports, UPSTREAM_KEYS)) {
            JsonNode ph = YamlTree.optional(ports, "http");
            JsonNode pt = YamlTree.optional(ports, "tls");
            if (ph != null) {
                httpPort = t.integer(YamlTree.join(portsPath, "http"), ph, 1, 65535, httpPort);
            }
            if (pt != null) {
                tlsPort = t.integer(YamlTree.join(portsPath, "tls"), pt, 1, 65535, tlsPort);
            }
        }
        if (t.problems.size() != before || key == null || address == null) {
            return null;
        }
        return new WireGuardPeer(key, address, httpPort, tlsPort);
    }

    /**
     * Reads and validates one operator entry, shaped like an entry of the file's list, from a JSON
     * or YAML tree (the admin API's request body): the same rules and messages as the file, with
     * paths starting at {@code path} (e.g. {@code operator.hosts[0]}); {@code source} names the
     * input in problems.
     */
    public static Parsed<Operator> parseOperator(JsonNode node, String path, String source) {
        requireNonNull(node, "node");
        requireNonNull(path, "path");
        requireNonNull(source, "source");
        YamlTree t = new YamlTree();
        Operator op = operator(t, path, node);
        if (!t.problems.isEmpty() || op == null) {
            return new Parsed.Invalid<>(source, t.problems);
        }
        List<ConfigProblem> problems = validate(List.of(op), i -> path);
        if (!problems.isEmpty()) {
            return new Parsed.Invalid<>(source, problems);
        }
        return new Parsed.Ok<>(op);
    }

    /**
     * Checks operators as a set: names unique and valid, host patterns valid, no two operators
     * claiming the same host, key or address, no host under another operator's wildcard and no
     * wildcard over another operator's host ({@link OperatorClaims} has the rule). Paths are like
     * {@code operators[2].hosts[0]}; a conflict is reported at the later of the two entries.
     */
    public static List<ConfigProblem> validate(List<Operator> operators) {
        return validate(operators, i -> YamlTree.index("operators", i));
    }

    /** {@link #validate(List)} with the path of the {@code i}-th operator given by {@code pathOf}. */
    private static List<ConfigProblem> validate(List<Operator> operators, IntFunction<String> pathOf) {
        requireNonNull(operators, "operators");
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        OperatorClaims claims = new OperatorClaims();
        for (int i = 0; i < operators.size(); i++) {
            Operator op = operators.get(i);
            String path = pathOf.apply(i);
            problems.addAll(validate(op, path));
            WireGuardPeer wg = op.wireguard();
            if (wg != null) {
                String keyOwner = claims.keyOwner(wg.publicKey());
                if (keyOwner != null) {
                    String key = wg.publicKey().toBase64();
                    problems.add(new ClaimConflict(ClaimConflict.Kind.PUBLIC_KEY, op.name(), key, keyOwner, key)
                            .problem(path + ".wireguard.public_key"));
                }
                claims.addKey(op.name(), wg.publicKey());
                String addressOwner = claims.addressOwner(wg.address());
                if (addressOwner != null) {
                    String a = address(wg.address());
                    problems.add(new ClaimConflict(ClaimConflict.Kind.ADDRESS, op.name(), a, addressOwner, a)
                            .problem(path + ".wireguard.address"));
                }
                claims.addAddress(op.name(), wg.address());
            }
            Integer first = names.putIfAbsent(op.name(), i);
            if (first != null) {
                problems.add(new ConfigProblem(
                        path + ".name",
                        YamlTree.quote(op.name()) + " (expected: a name not already used by operators[" + first
                                + "])"));
            }
            for (int j = 0; j < op.hosts().size(); j++) {
                String host = op.hosts().get(j);
                String hostPath = path + ".hosts[" + j + "]";
                // The same pattern twice is a problem even within one entry (as is a reused name).
                String owner = claims.hostOwner(host);
                ClaimConflict conflict = owner != null
                        ? new ClaimConflict(ClaimConflict.Kind.HOST, op.name(), host, owner, host)
                        : claims.hostConflict(op.name(), host);
                if (conflict != null) {
                    problems.add(conflict.problem(hostPath));
                } else {
                    claims.addHost(op.name(), host);
                }
            }
        }
        return problems;
    }

    /** Validates one operator (for the admin API); paths start with {@code pathPrefix}. */
    public static List<ConfigProblem> validate(Operator operator, String pathPrefix) {
        requireNonNull(operator, "operator");
        requireNonNull(pathPrefix, "pathPrefix");
        List<ConfigProblem> problems = new ArrayList<>();
        if (!NameRule.matches(operator.name())) {
            problems.add(new ConfigProblem(
                    YamlTree.join(pathPrefix, "name"),
                    YamlTree.quote(operator.name()) + " (expected: " + NameRule.EXPECTATION + ")"));
        }
        String hostsPath = YamlTree.join(pathPrefix, "hosts");
        if (operator.hosts().isEmpty()) {
            problems.add(new ConfigProblem(hostsPath, "empty (expected: at least one host)"));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < operator.hosts().size(); i++) {
            String host = operator.hosts().get(i);
            String p = YamlTree.index(hostsPath, i);
            String normalized = HostPattern.normalize(host);
            String expectation = HostPattern.expectation(normalized);
            if (expectation != null) {
                problems.add(new ConfigProblem(p, YamlTree.quote(host) + " (expected: " + expectation + ")"));
            } else if (!normalized.equals(host)) {
                problems.add(new ConfigProblem(
                        p, YamlTree.quote(host) + " (expected: lowercase, no trailing dot: \"" + normalized + "\")"));
            } else if (!seen.add(host)) {
                problems.add(new ConfigProblem(p, YamlTree.quote(host) + " (expected: each host once)"));
            }
        }
        Upstream u = operator.upstream();
        String upPath = YamlTree.join(pathPrefix, "upstream");
        if (u != null && operator.wireguard() != null) {
            problems.add(new ConfigProblem(
                    YamlTree.join(pathPrefix, "wireguard"),
                    "given with upstream (expected: exactly one of upstream, wireguard)"));
        } else if (u == null && operator.wireguard() == null) {
            problems.add(new ConfigProblem(upPath, "missing (expected: exactly one of upstream, wireguard)"));
        } else if (u != null) {
            if (u.http() == null && u.tls() == null) {
                problems.add(new ConfigProblem(upPath, "no address (expected: at least one of http, tls)"));
            }
            checkAddress(problems, YamlTree.join(upPath, "http"), u.http());
            checkAddress(problems, YamlTree.join(upPath, "tls"), u.tls());
        }
        return problems;
    }

    private static void checkAddress(List<ConfigProblem> problems, String path, @Nullable InetSocketAddress a) {
        if (a == null) {
            return;
        }
        if (a.isUnresolved() || a.getPort() < 1) {
            problems.add(new ConfigProblem(
                    path,
                    YamlTree.quote(a.toString()) + " (expected: host:port with an IP literal host (" + UPSTREAM_ROLE
                            + ") and port 1..65535)"));
        }
    }

    /** Serialises operators back to YAML that {@link #parse} reads to the same list. */
    public static String write(List<Operator> operators) {
        requireNonNull(operators, "operators");
        List<Map<String, Object>> list = new ArrayList<>();
        for (Operator op : operators) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", op.name());
            m.put("hosts", op.hosts());
            Upstream u = op.upstream();
            if (u != null) {
                Map<String, Object> up = new LinkedHashMap<>();
                if (u.http() != null) {
                    up.put("http", HostPort.format(u.http()));
                }
                if (u.tls() != null) {
                    up.put("tls", HostPort.format(u.tls()));
                }
                m.put("upstream", up);
            }
            WireGuardPeer wg = op.wireguard();
            if (wg != null) {
                m.put("wireguard", wireguardMap(wg));
            }
            m.put("proxy_protocol", op.proxyProtocol().name().toLowerCase(Locale.ROOT));
            list.add(m);
        }
        return WRITER.writeValueAsString(Map.of("operators", list));
    }

    /** The {@code wireguard:} mapping of an operator, as the file and the admin API show it. */
    public static Map<String, Object> wireguardMap(WireGuardPeer wg) {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("public_key", wg.publicKey().toBase64());
        w.put("address", address(wg.address()));
        if (wg.httpPort() != WireGuardPeer.DEFAULT_HTTP_PORT || wg.tlsPort() != WireGuardPeer.DEFAULT_TLS_PORT) {
            Map<String, Object> ports = new LinkedHashMap<>();
            ports.put("http", wg.httpPort());
            ports.put("tls", wg.tlsPort());
            w.put("ports", ports);
        }
        return w;
    }

    /**
     * Problems of the operators against the relay they would run on ({@link RelayContext}): WireGuard
     * operators' addresses inside its tunnel prefixes ({@link #validateTunnel}), direct upstreams not
     * reaching the relay or its host. Run at {@code check}, at startup and at every reload or API
     * change; paths are like {@code operators[2].upstream.tls}.
     */
    public static List<ConfigProblem> validateAgainst(List<Operator> operators, RelayContext relay) {
        requireNonNull(operators, "operators");
        requireNonNull(relay, "relay");
        RelayContext now = relay.hostAddressesReadOnce();
        List<ConfigProblem> problems = new ArrayList<>();
        for (int i = 0; i < operators.size(); i++) {
            problems.addAll(validateAgainst(operators.get(i), YamlTree.index("operators", i), now));
        }
        return problems;
    }

    /** {@link #validateAgainst(List, RelayContext)} for one operator; paths start with {@code pathPrefix}. */
    public static List<ConfigProblem> validateAgainst(Operator op, String pathPrefix, RelayContext relay) {
        requireNonNull(op, "op");
        requireNonNull(pathPrefix, "pathPrefix");
        requireNonNull(relay, "relay");
        List<ConfigProblem> problems = new ArrayList<>(validateTunnel(op, pathPrefix, relay.tunnel()));
        Upstream u = op.upstream();
        if (u != null) {
            String upPath = YamlTree.join(pathPrefix, "upstream");
            checkReach(problems, YamlTree.join(upPath, "http"), u.http(), relay);
            checkReach(problems, YamlTree.join(upPath, "tls"), u.tls(), relay);
        }
        return problems;
    }

    private static void checkReach(
            List<ConfigProblem> problems, String path, @Nullable InetSocketAddress a, RelayContext relay) {
        String refusal = a == null ? null : relay.refusal(a);
        if (refusal != null) {
            problems.add(new ConfigProblem(path, YamlTree.quote(HostPort.format(a)) + " (expected: " + refusal + ")"));
        }
    }

    /**
     * Problems of the WireGuard operators against the relay's tunnel: each address must lie inside
     * one of the relay's tunnel prefixes (and not be one of the relay's own addresses); without a
     * {@code wireguard:} section no WireGuard operator can be reached. Run at {@code check}, at
     * startup and at every reload or API change.
     */
    public static List<ConfigProblem> validateTunnel(List<Operator> operators, @Nullable WireGuardConfig tunnel) {
        requireNonNull(operators, "operators");
        List<ConfigProblem> problems = new ArrayList<>();
        for (int i = 0; i < operators.size(); i++) {
            problems.addAll(validateTunnel(operators.get(i), YamlTree.index("operators", i), tunnel));
        }
        return problems;
    }

    /** {@link #validateTunnel(List, WireGuardConfig)} for one operator; paths start with {@code pathPrefix}. */
    public static List<ConfigProblem> validateTunnel(Operator op, String pathPrefix, @Nullable WireGuardConfig tunnel) {
        WireGuardPeer wg = op.wireguard();
        if (wg == null) {
            return List.of();
        }
        String path = YamlTree.join(pathPrefix, "wireguard");
        if (tunnel == null) {
            return List.of(new ConfigProblem(
                    path, "a WireGuard operator (expected: a wireguard: section in the relay config)"));
        }
        boolean inside = false;
        for (IpPrefix own : tunnel.addresses()) {
            if (own.address().equals(wg.address())) {
                return List.of(new ConfigProblem(
                        path + ".address",
                        YamlTree.quote(address(wg.address())) + " (expected: not the relay's own tunnel address)"));
            }
            if (own.contains(wg.address().getAddress())) {
                inside = true;
            }
        }
        if (!inside) {
            return List.of(new ConfigProblem(
                    path + ".address",
                    YamlTree.quote(address(wg.address())) + " (expected: inside one of the relay's tunnel prefixes "
                            + tunnel.addresses() + ")"));
        }
        return List.of();
    }

    /** An IP literal as written in the file (IPv6 compressed, no brackets). */
    public static String address(InetAddress a) {
        return NetUtil.toAddressString(a);
    }
}
