package co.airdress.relay.sni;

/**
 * The host name rules shared by {@link ClientHelloPeek} and {@link HttpHeadPeek}. A name is routable
 * when, after stripping one trailing dot:
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
final class HostnameRules {

    static final int MAX_NAME_LENGTH = 253;
    static final int MAX_LABEL_LENGTH = 63;

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
