package co.airdress.relay.sni;

import org.jspecify.annotations.Nullable;

/**
 * The host name rules: what {@link ClientHelloPeek} and {@link HttpHeadPeek} accept from clients,
 * and what the relay accepts in its operators' host patterns ({@link #check}), so that every
 * pattern can match a name a client sends. A name is routable when, after stripping one trailing
 * dot:
 *
 * <ul>
 *   <li>it is 1..253 bytes of ASCII letters, digits, {@code '-'} and {@code '.'} (A-labels only:
 *       internationalised names must arrive as {@code xn--} punycode);
 *   <li>every label is 1..63 bytes and neither starts nor ends with {@code '-'} (RFC 952/1123 LDH);
 *   <li>the last label is not all digits, which rules out IPv4 literals (RFC 3696 §2: no TLD is
 *       numeric; RFC 6066 §3 forbids IP literals in SNI).
 * </ul>
 *
 * <p>{@code '_'} is rejected: it is not a host name character (RFC 952/1123), and since CA/Browser
 * Forum ballot SC12 no public CA may issue a certificate for a name containing it, so no operator
 * behind the relay could serve TLS for such a name anyway.
 *
 * <p>Everything works in place on a caller's byte array so that the parsers allocate nothing.
 */
public final class HostnameRules {

    public static final int MAX_NAME_LENGTH = 253;
    public static final int MAX_LABEL_LENGTH = 63;

    /** A rule a name breaks, with what a message shows as expected instead. */
    public enum Rule {
        TOO_LONG("a host name of at most " + MAX_NAME_LENGTH + " characters"),
        EMPTY_LABEL("a host name without empty labels"),
        LABEL_TOO_LONG("a host name with labels of at most " + MAX_LABEL_LENGTH + " characters"),
        HYPHEN_AT_LABEL_EDGE("a host name whose labels do not start or end with '-'"),
        NOT_ASCII("an ASCII host name (internationalised names as A-labels, xn--...)"),
        BAD_CHARACTER("a host name of letters, digits, '-' and '.'"),
        NUMERIC_LAST_LABEL("a host name, not an IP address (the last label is not all digits)");

        private final String expectation;

        Rule(String expectation) {
            this.expectation = expectation;
        }

        /** What a valid name looks like, for a {@code value (expected: ...)} message. */
        public String expectation() {
            return expectation;
        }
    }

    /**
     * The first rule a name breaks, read left to right, and where: the offending character for
     * {@link Rule#NOT_ASCII} and {@link Rule#BAD_CHARACTER}, the label's first character for the
     * label rules, 0 for {@link Rule#TOO_LONG}.
     */
    public record Violation(Rule rule, int index) {}

    /** {@link #normalize} result for an empty name (or a lone dot). */
    static final int EMPTY = 0;
    /** {@link #normalize} result for a name that breaks the rules. */
    static final int INVALID = -1;

    /** Set in {@link #LOWERCASE_OR_INVALID} for a byte a host name may not hold. */
    private static final int INVALID_BIT = 0x100;
    /**
     * Each byte lowercased (ASCII letters only) in the low 8 bits, plus {@link #INVALID_BIT} unless
     * it is a letter, digit, '-' or '.': one table load per byte instead of two.
     */
    private static final int[] LOWERCASE_OR_INVALID = new int[256];

    static {
        for (int c = 0; c < 256; c++) {
            final int lower = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
            final boolean valid =
                    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
            LOWERCASE_OR_INVALID[c] = valid ? lower : lower | INVALID_BIT;
        }
    }

    private HostnameRules() {}

    /**
     * The first rule {@code name} breaks, or null when it is a routable name. The name is taken as
     * it is, as {@link #normalize} takes what remains after dropping one trailing dot: a name that
     * passes here is exactly one that {@code normalize} accepts. ASCII letters of either case pass
     * (the peeks lowercase them). For configuration, not for the data path: it reads a
     * {@link CharSequence} and is written for clarity, not speed.
     */
    public static @Nullable Violation check(CharSequence name) {
        final int length = name.length();
        if (length > MAX_NAME_LENGTH) {
            return new Violation(Rule.TOO_LONG, 0);
        }
        int labelStart = 0;
        int lastLabelStart = 0;
        boolean lastLabelAllDigits = true;
        for (int i = 0; i <= length; i++) {
            final char c = i == length ? '.' : name.charAt(i);
            if (c == '.') {
                final int labelLength = i - labelStart;
                if (labelLength == 0) {
                    return new Violation(Rule.EMPTY_LABEL, labelStart);
                }
                if (labelLength > MAX_LABEL_LENGTH) {
                    return new Violation(Rule.LABEL_TOO_LONG, labelStart);
                }
                if (name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
                    return new Violation(Rule.HYPHEN_AT_LABEL_EDGE, labelStart);
                }
                lastLabelAllDigits = allDigits(name, labelStart, i);
                lastLabelStart = labelStart;
                labelStart = i + 1;
            } else if (c >= 0x80) {
                return new Violation(Rule.NOT_ASCII, i);
            } else if (!isLetterOrDigit(c) && c != '-') {
                return new Violation(Rule.BAD_CHARACTER, i);
            }
        }
        return lastLabelAllDigits ? new Violation(Rule.NUMERIC_LAST_LABEL, lastLabelStart) : null;
    }

    private static boolean isLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean allDigits(CharSequence name, int start, int end) {
        for (int i = start; i < end; i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * Validates {@code name[offset, offset + length)}, lowercasing it in place.
     *
     * @return the normalised length (one trailing dot dropped), {@link #EMPTY} or {@link #INVALID}
     */
    static int normalize(byte[] name, int offset, int length) {
        if (length > 0 && name[offset + length - 1] == '.') {
            length--;
        }
        if (length == 0) {
            return EMPTY;
        }
        if (length > MAX_NAME_LENGTH) {
            return INVALID;
        }
        final int end = offset + length;
        // Branch-light loop (the per-byte class switch mispredicted on every change of class):
        // table-driven validity and lowercasing, label checks only at dots.
        int classes = 0;
        int labelStart = offset;
        for (int i = offset; i < end; i++) {
            final int b = name[i] & 0xff;
            final int c = LOWERCASE_OR_INVALID[b];
            classes |= c;
            name[i] = (byte) c;
            if (b == '.') {
                if (!labelOk(name, labelStart, i)) {
                    return INVALID;
                }
                labelStart = i + 1;
            }
        }
        if ((classes & INVALID_BIT) != 0 || !labelOk(name, labelStart, end) || allDigits(name, labelStart, end)) {
            return INVALID;
        }
        return length;
    }

    private static boolean allDigits(byte[] name, int start, int end) {
        for (int i = start; i < end; i++) {
            if (name[i] < '0' || name[i] > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean labelOk(byte[] name, int start, int end) {
        final int length = end - start;
        return length > 0 && length <= MAX_LABEL_LENGTH && name[start] != '-' && name[end - 1] != '-';
    }

    /** True for a dotted-quad IPv4 literal: four decimal parts 0..255 without leading zeros. */
    static boolean isIpv4Literal(byte[] b, int offset, int length) {
        int parts = 0;
        int value = 0;
        int digits = 0;
        final int end = offset + length;
        for (int i = offset; i <= end; i++) {
            if (i == end || b[i] == '.') {
                if (digits == 0 || value > 255 || (digits > 1 && b[i - digits] == '0')) {
                    return false;
                }
                parts++;
                value = 0;
                digits = 0;
            } else if (b[i] >= '0' && b[i] <= '9') {
                if (++digits > 3) {
                    return false;
                }
                value = value * 10 + (b[i] - '0');
            } else {
                return false;
            }
        }
        return parts == 4;
    }
}
