package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

/**
 * The rule for the names of PoPs and operators: like a DNS label, 1 to 63 characters a-z, 0-9 and
 * '-', not starting or ending with '-', so that a name fits a metric label, a log line, a PROXY
 * protocol TLV and a URL path as it is.
 */
public final class NameRule {

    /** What a valid name looks like, for a {@code value (expected: ...)} message. */
    public static final String EXPECTATION =
            "a name of 1 to 63 characters a-z, 0-9 and '-', not starting or ending with '-'";

    private NameRule() {}

    public static boolean matches(String name) {
        int n = requireNonNull(name, "name").length();
        if (n == 0 || n > 63 || name.charAt(0) == '-' || name.charAt(n - 1) == '-') {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
