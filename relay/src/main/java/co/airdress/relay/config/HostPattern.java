package co.airdress.relay.config;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Host patterns in the operators file: an exact name ({@code alice.example.test}) or a wildcard
 * ({@code *.alice.example.test}, any name below the suffix, not the suffix itself).
 *
 * <p>Names follow the rules the peek applies to SNI and Host values, so every pattern can match
 * something a client sends: ASCII letters, digits and '-' (IDNs as A-labels, "xn--..."), labels
 * of 1 to 63 characters not starting or ending with '-', at most 253 characters, no '_', no IP
 * literal. Patterns are compared lowercased and without a trailing dot.
 */
public final class HostPattern {

    private HostPattern() {}

    /** Lowercases and drops one trailing dot; the result is what the route table stores. */
    public static String normalize(String pattern) {
        String p = pattern.toLowerCase(Locale.ROOT);
        return p.endsWith(".") ? p.substring(0, p.length() - 1) : p;
    }

    public static boolean isWildcard(String normalized) {
        return normalized.startsWith("*.");
    }

    /** What a valid pattern would look like, or null when {@code normalized} is valid. */
    public static @Nullable String expectation(String normalized) {
        if (normalized.isEmpty()) {
            return "a host name or a wildcard like *.example.com";
        }
        if (normalized.startsWith("*")) {
            if (!normalized.startsWith("*.")) {
                return "a wildcard only as the whole first label, like *.example.com";
            }
            String suffix = normalized.substring(2);
            String problem = nameExpectation(suffix);
            if (problem != null) {
                return problem;
            }
            if (suffix.indexOf('.') < 0) {
                return "a wildcard with at least two labels after \"*.\"";
            }
            return null;
        }
        return nameExpectation(normalized);
    }

    private static @Nullable String nameExpectation(String name) {
        if (name.length() > 253) {
            return "a host name of at most 253 characters";
        }
        int labelStart = 0;
        boolean lastLabelAllDigits = true;
        for (int i = 0; i <= name.length(); i++) {
            char c = i == name.length() ? '.' : name.charAt(i);
            if (c == '.') {
                int len = i - labelStart;
                if (len == 0) {
                    return "a host name without empty labels";
                }
                if (len > 63) {
                    return "a host name with labels of at most 63 characters";
                }
                if (name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
                    return "a host name whose labels do not start or end with '-'";
                }
                lastLabelAllDigits = true;
                for (int j = labelStart; j < i; j++) {
                    char d = name.charAt(j);
                    if (d < '0' || d > '9') {
                        lastLabelAllDigits = false;
                        break;
                    }
                }
                labelStart = i + 1;
                continue;
            }
            if (c == '*') {
                return "a wildcard only as the whole first label, like *.example.com";
            }
            if (c >= 0x80) {
                return "an ASCII host name (internationalised names as A-labels, xn--...)";
            }
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return "a host name of letters, digits, '-' and '.'";
            }
        }
        if (lastLabelAllDigits) {
            return "a host name, not an IP address (the last label is not all digits)";
        }
        return null;
    }
}
