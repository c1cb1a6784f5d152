package co.airdress.relay.config;

import co.airdress.relay.sni.HostnameRules;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Host patterns in the operators file: an exact name ({@code alice.example.test}) or a wildcard
 * ({@code *.alice.example.test}, any name below the suffix, not the suffix itself).
 *
 * <p>Names follow {@link HostnameRules}, the rules the peek applies to SNI and Host values, so
 * every pattern can match something a client sends: ASCII letters, digits and '-' (IDNs as
 * A-labels, "xn--..."), labels of 1 to 63 characters not starting or ending with '-', at most 253
 * characters, no '_', no IP literal. Patterns are compared lowercased and without a trailing dot.
 */
public final class HostPattern {

    private static final String WILDCARD_FIRST_LABEL = "a wildcard only as the whole first label, like *.example.com";

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
                return WILDCARD_FIRST_LABEL;
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
        HostnameRules.Violation violation = HostnameRules.check(name);
        if (violation == null) {
            return null;
        }
        if (violation.rule() == HostnameRules.Rule.BAD_CHARACTER && name.charAt(violation.index()) == '*') {
            return WILDCARD_FIRST_LABEL;
        }
        return violation.rule().expectation();
    }
}
