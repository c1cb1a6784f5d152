package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.Inet6Address;
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
import java.util.regex.Pattern;
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
    private static final Set<String> OPERATOR_KEYS = Set.of("name", "hosts", "upstream", "proxy_protocol");
    private static final Set<String> UPSTREAM_KEYS = Set.of("http", "tls");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
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
            return new Parsed.Invalid<>(file.toString(), List.of(new ConfigProblem("(file)", "cannot read " + file + ": " + e)));
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
        JsonNode u = t.required(path, node, "upstream");
        String upPath = YamlTree.join(path, "upstream");
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
        ProxyProtocol proxy = ProxyProtocol.NONE;
        JsonNode pp = YamlTree.optional(node, "proxy_protocol");
        if (pp != null) {
            String ppPath = YamlTree.join(path, "proxy_protocol");
            String s = t.string(ppPath, pp, "none, v1 or v2");
            if (s != null) {
                switch (s) {
                    case "none" -> proxy = ProxyProtocol.NONE;
                    case "v1" -> proxy = ProxyProtocol.V1;
                    case "v2" -> proxy = ProxyProtocol.V2;
                    default -> t.expected(ppPath, pp, "none, v1 or v2");
                }
            }
        }
        if (t.problems.size() != before || name == null || upstream == null) {
            return null;
        }
        return new Operator(name, hosts, upstream, proxy);
    }

    /**
     * Checks operators as a set: names unique and valid, host patterns valid, no host owned by two
     * operators, upstream present for each listener... Paths are like {@code operators[2].hosts[0]}.
     */
    public static List<ConfigProblem> validate(List<Operator> operators) {
        requireNonNull(operators, "operators");
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<String, String> owners = new HashMap<>();
        for (int i = 0; i < operators.size(); i++) {
            Operator op = operators.get(i);
            String path = YamlTree.index("operators", i);
            problems.addAll(validate(op, path));
            Integer first = names.putIfAbsent(op.name(), i);
            if (first != null) {
                problems.add(new ConfigProblem(path + ".name", YamlTree.quote(op.name())
                        + " (expected: a name not already used by operators[" + first + "])"));
            }
            for (int j = 0; j < op.hosts().size(); j++) {
                String host = op.hosts().get(j);
                String owner = owners.putIfAbsent(host, op.name());
                if (owner != null) {
                    problems.add(new ConfigProblem(path + ".hosts[" + j + "]", YamlTree.quote(host)
                            + " (expected: a host not already owned by operator \"" + owner + "\")"));
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
        if (!NAME.matcher(operator.name()).matches()) {
            problems.add(new ConfigProblem(YamlTree.join(pathPrefix, "name"), YamlTree.quote(operator.name())
                    + " (expected: a name of 1 to 63 characters a-z, 0-9 and '-', not starting or ending with '-')"));
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
                problems.add(new ConfigProblem(p, YamlTree.quote(host) + " (expected: lowercase, no trailing dot: \""
                        + normalized + "\")"));
            } else if (!seen.add(host)) {
                problems.add(new ConfigProblem(p, YamlTree.quote(host) + " (expected: each host once)"));
            }
        }
        Upstream u = operator.upstream();
        String upPath = YamlTree.join(pathPrefix, "upstream");
        if (u == null) {
            problems.add(new ConfigProblem(upPath, "missing (expected: an upstream with http and/or tls addresses)"));
        } else {
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
            problems.add(new ConfigProblem(path, YamlTree.quote(a.toString())
                    + " (expected: host:port with an IP literal host (" + UPSTREAM_ROLE + ") and port 1..65535)"));
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
            Map<String, Object> up = new LinkedHashMap<>();
            Upstream u = op.upstream();
            if (u != null) {
                if (u.http() != null) {
                    up.put("http", format(u.http()));
                }
                if (u.tls() != null) {
                    up.put("tls", format(u.tls()));
                }
            }
            m.put("upstream", up);
            m.put("proxy_protocol", op.proxyProtocol().name().toLowerCase(Locale.ROOT));
            list.add(m);
        }
        return WRITER.writeValueAsString(Map.of("operators", list));
    }

    /** {@code ip:port}, IPv6 in brackets: the form {@link #parse} accepts. */
    public static String format(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : NetUtil.toAddressString(a.getAddress());
        if (a.getAddress() instanceof Inet6Address) {
            return "[" + host + "]:" + a.getPort();
        }
        return host + ":" + a.getPort();
    }
}
