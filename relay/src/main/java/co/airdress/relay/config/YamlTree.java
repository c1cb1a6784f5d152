package co.airdress.relay.config;

import co.airdress.relay.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads a YAML tree field by field, collecting every problem with its path instead of stopping at
 * the first. Typed bindings would stop at the first bad value and name it in Jackson's words;
 * walking the tree lets every message follow {@code path: "value" (expected: ...)}.
 */
final class YamlTree {

    private static final YAMLMapper MAPPER = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,10})\\s*(B|KiB|MiB)?");

    final List<ConfigProblem> problems = new ArrayList<>();

    /** Parses YAML text; a syntax error becomes one problem at the root. */
    @Nullable
    JsonNode parse(String yaml, String source) {
        try {
            JsonNode root = MAPPER.readTree(yaml);
            if (root == null || root.isMissingNode() || root.isNull()) {
                problem("(root)", "the file is empty (expected: a YAML mapping)");
                return null;
            }
            return root;
        } catch (JacksonException e) {
            String location = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            problem("(root)", "not valid YAML" + location + ": " + e.getOriginalMessage());
            return null;
        }
    }

    void problem(String path, String message) {
        problems.add(new ConfigProblem(path, message));
    }

    void expected(String path, JsonNode value, String expectation) {
        problem(path, show(value) + " (expected: " + expectation + ")");
    }

    /** A mapping with only the given keys; unknown keys are each a problem. */
    boolean object(String path, JsonNode node, Set<String> keys) {
        if (!node.isObject()) {
            expected(path.isEmpty() ? "(root)" : path, node, "a mapping with keys " + String.join(", ", sorted(keys)));
            return false;
        }
        for (var e : node.properties()) {
            if (!keys.contains(e.getKey())) {
                problem(
                        join(path, e.getKey()),
                        "unknown key (expected: one of " + String.join(", ", sorted(keys)) + ")");
            }
        }
        return true;
    }

    /** A required field; reports it missing. */
    @Nullable
    JsonNode required(String path, JsonNode parent, String key) {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) {
            problem(join(path, key), "missing (required)");
            return null;
        }
        return v;
    }

    static @Nullable JsonNode optional(JsonNode parent, String key) {
        JsonNode v = parent.get(key);
        return v == null || v.isNull() ? null : v;
    }

    @Nullable
    String string(String path, JsonNode node, String expectation) {
        if (!node.isString()) {
            expected(path, node, expectation);
            return null;
        }
        return node.stringValue();
    }

    /** A name as used for the PoP and operators ({@link NameRule}). */
    @Nullable
    String name(String path, JsonNode node) {
        String s = string(path, node, NameRule.EXPECTATION);
        if (s != null && !NameRule.matches(s)) {
            expected(path, node, NameRule.EXPECTATION);
            return null;
        }
        return s;
    }

    /** {@code host:port} with an IP literal host ({@code [::1]:443}, {@code 0.0.0.0:80}). */
    @Nullable
    InetSocketAddress address(String path, JsonNode node, int minPort, String role) {
        String expectation = "host:port with an IP literal host (" + role + ") and port " + minPort + "..65535";
        String s = string(path, node, expectation);
        if (s == null) {
            return null;
        }
        InetSocketAddress a = HostPort.parse(s, minPort);
        if (a == null) {
            expected(path, node, expectation);
        }
        return a;
    }

    /** A size: bytes as an integer or a string like {@code 512B}, {@code 16KiB}, {@code 1MiB}. */
    int size(String path, JsonNode node, int min, int max, int fallback) {
        String expectation = "a size like 16KiB (B, KiB or MiB) between " + min + " and " + max + " bytes";
        long bytes;
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            bytes = node.longValue();
        } else if (node.isString()) {
            Matcher m = SIZE.matcher(node.stringValue().trim());
            if (!m.matches()) {
                expected(path, node, expectation);
                return fallback;
            }
            long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
                case "KiB" -> 1024L;
                case "MiB" -> 1024L * 1024;
                default -> 1L;
            };
            bytes = Long.parseLong(m.group(1)) * unit;
        } else {
            expected(path, node, expectation);
            return fallback;
        }
        if (bytes < min || bytes > max) {
            expected(path, node, expectation);
            return fallback;
        }
        return (int) bytes;
    }

    /** A positive duration like {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h} ({@link DurationText}). */
    Duration duration(String path, JsonNode node, Duration max, Duration fallback) {
        String expectation = "a duration like 500ms, 10s, 5m or 1h, above zero and at most " + DurationText.format(max);
        Duration d = node.isString() ? DurationText.parse(node.stringValue()) : null;
        if (d == null || d.isZero() || d.compareTo(max) > 0) {
            expected(path, node, expectation);
            return fallback;
        }
        return d;
    }

    int integer(String path, JsonNode node, int min, int max, int fallback) {
        String expectation = "an integer from " + min + " to " + max;
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            expected(path, node, expectation);
            return fallback;
        }
        return node.intValue();
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    /** The offending value as written: strings quoted, others as YAML shows them. */
    static String show(JsonNode value) {
        if (value.isString()) {
            return quote(value.stringValue());
        }
        if (value.isObject()) {
            return "a mapping";
        }
        if (value.isArray()) {
            return "a list";
        }
        return value.toString();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > 200) {
            b.append("...");
        }
        return b.append('"').toString();
    }

    private static List<String> sorted(Set<String> keys) {
        return keys.stream().sorted().toList();
    }
}
