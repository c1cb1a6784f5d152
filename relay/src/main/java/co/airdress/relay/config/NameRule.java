package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * The rule for the names of PoPs and operators: like a DNS label, 1 to 63 characters a-z, 0-9 and
 * '-', not starting or ending with '-', so that a name fits a metric label, a log line, a PROXY
 * protocol TLV and a URL path as it is.
 */
public final class NameRule {

    /** What a valid name looks like, for a {@code value (expected: ...)} message. */
    public static final String EXPECTATION =
            "a name of 1 to 63 characters a-z, 0-9 and '-', not starting or ending with '-'";

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private NameRule() {}

    public static boolean matches(String name) {
        return NAME.matcher(requireNonNull(name, "name")).matches();
    }
}
