package co.airdress.relay.sni;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * Incremental peek of an HTTP/1.x request head (request line + header fields, up to the empty
 * line) to find the target host. Same feeding contract as {@link ClientHelloPeek}: bytes are read
 * without moving the buffer's indices, no reference is kept, each byte is looked at once, and
 * {@link #feed} allocates nothing.
 *
 * <p>The host comes from the absolute-form request-target when there is one (RFC 9112 §3.2.2),
 * otherwise from the Host header. Either way the Host header is checked: a second one, a missing
 * one on HTTP/1.1, or an invalid value is {@link Status#MALFORMED} (RFC 9112 §3.2 says 400). The
 * host is lowercased with its port and one trailing dot removed; IPv6 literals keep their brackets
 * ({@code [::1]}), IPv4 literals are returned as they are, names follow the same rules as SNI
 * (ASCII letters, digits and {@code '-'}; {@code '_'} is rejected).
 *
 * <p>The parser is strict where leniency would let it read a head differently from the backend it
 * replays the bytes to: lines end with CRLF only (bare CR and bare LF are malformed), obs-fold,
 * whitespace before a colon, NUL and other control characters are malformed. Empty lines before
 * the request line are skipped (RFC 9112 §2.2). A request line that does not start with a token and
 * a space, or whose version is not HTTP/1.x, is {@link Status#NOT_HTTP} (e.g. a TLS record or the
 * HTTP/2 connection preface on port 80).
 */
public final class HttpHeadPeek extends HostPeek {

    public static final int DEFAULT_MAX_HEAD_LENGTH = 16 * 1024;

    /** Longest raw authority kept: a 253-byte name, a trailing dot and ":65535", with room to spare. */
    private static final int MAX_AUTHORITY = 320;

    private static final int S_START = 0;
    private static final int S_START_LF = 1;
    private static final int S_METHOD = 2;
    private static final int S_TARGET_FIRST = 3;
    private static final int S_TARGET = 4;
    private static final int S_VERSION = 5;
    private static final int S_REQUEST_LINE_LF = 6;
    private static final int S_LINE_START = 7;
    private static final int S_NAME = 8;
    private static final int S_VALUE_LEADING = 9;
    private static final int S_VALUE = 10;
    private static final int S_VALUE_LF = 11;
    private static final int S_END_LF = 12;

    // Sub-states of the request-target, to spot an absolute-form authority.
    private static final int T_SCHEME_FIRST = 0;
    private static final int T_SCHEME = 1;
    private static final int T_SLASH1 = 2;
    private static final int T_SLASH2 = 3;
    private static final int T_AUTHORITY = 4;
    private static final int T_REST = 5;

    private static final byte[] HTTP_SLASH = {'H', 'T', 'T', 'P', '/'};
    private static final byte[] HOST = {'h', 'o', 's', 't'};
    /** RFC 9110 §5.6.2 token characters, indexed by byte value. */
    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    public enum Status {
        /** Not decidable yet: feed more bytes. */
        NEED_MORE,
        /** The host from the absolute-form target or the Host header: {@link #host()}. */
        FOUND,
        /** A valid request that names no host: HTTP/1.0 without Host, or an empty Host value. */
        NO_HOST,
        /** The first bytes are not an HTTP/1.x request line. */
        NOT_HTTP,
        /** The head is longer than the cap (answer 431). */
        TOO_LARGE,
        /** Breaks RFC 9112 or our host rules (answer 400): {@link #malformed()}. */
        MALFORMED
    }

    private final int maxHeadLength;
    private final byte[] authority = new byte[MAX_AUTHORITY];

    private Status status;
    private @Nullable MalformedHead malformed;
    private int consumed;
    private int state;
    private int targetState;
    private int versionIndex;
    private int majorVersion;
    private int minorVersion;
    private int nameMatch;
    private boolean inHost;
    private int hostHeaders;
    private boolean hostEmpty;
    private boolean hostFromTarget;
    private int authorityLength;
    private int authorityTrimmed;
    private boolean authorityOverflow;

    public HttpHeadPeek() {
        this(DEFAULT_MAX_HEAD_LENGTH);
    }

    /** @param maxHeadLength cap on the head, request line through the empty line's CRLF */
    public HttpHeadPeek(int maxHeadLength) {
        super(MAX_AUTHORITY);
        if (maxHeadLength < 1) {
            throw new IllegalArgumentException("maxHeadLength: " + maxHeadLength + " (expected: > 0)");
        }
        this.maxHeadLength = maxHeadLength;
        reset();
    }

    /** Forgets everything fed so far, ready for a new connection. */
    public void reset() {
        status = Status.NEED_MORE;
        malformed = null;
        consumed = 0;
        state = S_START;
        targetState = T_SCHEME_FIRST;
        versionIndex = 0;
        majorVersion = -1;
        minorVersion = -1;
        nameMatch = 0;
        inHost = false;
        hostHeaders = 0;
        hostEmpty = false;
        hostFromTarget = false;
        authorityLength = 0;
        authorityTrimmed = 0;
        authorityOverflow = false;
        forgetHost();
    }

    /** Reads {@code chunk}'s readable bytes (indices untouched) and returns the status. */
    public Status feed(ByteBuf chunk) {
        if (status != Status.NEED_MORE) {
            return status;
        }
        final int start = chunk.readerIndex();
        final int end = Math.min(chunk.writerIndex(), start + (maxHeadLength - consumed));
        int i = start;
        while (i < end && status == Status.NEED_MORE) {
            // Runs of bytes that change nothing but the position are skipped in tight loops
            // (ordinary field values, field names that are not Host, the path), then one step.
            if (state == S_VALUE && !inHost) {
                i = skipValue(chunk, i, end);
            } else if (state == S_NAME && nameMatch < 0) {
                i = skipToken(chunk, i, end);
            } else if (state == S_TARGET && targetState == T_REST) {
                i = skipTarget(chunk, i, end);
            }
            if (i < end) {
                step(chunk.getByte(i++) & 0xff);
            }
        }
        consumed += i - start;
        if (status == Status.NEED_MORE && consumed == maxHeadLength) {
            status = Status.TOO_LARGE; // the head cannot end within the cap any more
        }
        return status;
    }

    private static int skipValue(ByteBuf buf, int i, int end) {
        while (i < end) {
            final int b = buf.getByte(i) & 0xff;
            if ((b < 0x20 && b != '\t') || b == 0x7f) {
                break; // CR, or a control byte for step() to judge
            }
            i++;
        }
        return i;
    }

    private static int skipToken(ByteBuf buf, int i, int end) {
        while (i < end && TCHAR[buf.getByte(i) & 0xff]) {
            i++;
        }
        return i;
    }

    private static int skipTarget(ByteBuf buf, int i, int end) {
        while (i < end) {
            final int b = buf.getByte(i) & 0xff;
            if (b <= 0x20 || b == 0x7f) {
                break;
            }
            i++;
        }
        return i;
    }

    private void step(int b) {
        switch (state) {
            case S_START -> {
                if (b == '\r') {
                    state = S_START_LF;
                } else if (isTchar(b)) {
                    state = S_METHOD;
                } else {
                    status = Status.NOT_HTTP;
                }
            }
            case S_START_LF -> {
                if (b == '\n') {
                    state = S_START;
                } else {
                    status = Status.NOT_HTTP;
                }
            }
            case S_METHOD -> {
                if (b == ' ') {
                    state = S_TARGET_FIRST;
                } else if (!isTchar(b)) {
                    status = Status.NOT_HTTP;
                }
            }
            case S_TARGET_FIRST, S_TARGET -> target(b);
            case S_VERSION -> version(b);
            case S_REQUEST_LINE_LF -> {
                if (b == '\n') {
                    state = S_LINE_START;
                } else {
                    fail(MalformedHead.BARE_CR);
                }
            }
            case S_LINE_START -> {
                if (b == '\r') {
                    state = S_END_LF;
                } else if (b == ' ' || b == '\t') {
                    fail(MalformedHead.OBS_FOLD);
                } else if (isTchar(b)) {
                    nameMatch = (b | 0x20) == 'h' ? 1 : -1;
                    state = S_NAME;
                } else {
                    lineByteError(b, MalformedHead.INVALID_HEADER_NAME);
                }
            }
            case S_NAME -> {
                if (b == ':') {
                    inHost = nameMatch == HOST.length;
                    if (inHost) {
                        if (++hostHeaders > 1) {
                            fail(MalformedHead.DUPLICATE_HOST);
                            return;
                        }
                        authorityLength = 0;
                        authorityTrimmed = 0;
                        authorityOverflow = false;
                    }
                    state = S_VALUE_LEADING;
                } else if (isTchar(b)) {
                    if (nameMatch > 0) {
                        nameMatch = nameMatch < HOST.length && (b | 0x20) == HOST[nameMatch] ? nameMatch + 1 : -1;
                    }
                } else if (b == ' ' || b == '\t') {
                    fail(MalformedHead.WHITESPACE_BEFORE_COLON);
                } else {
                    lineByteError(b, MalformedHead.INVALID_HEADER_NAME);
                }
            }
            case S_VALUE_LEADING, S_VALUE -> value(b);
            case S_VALUE_LF -> {
                if (b != '\n') {
                    fail(MalformedHead.BARE_CR);
                } else if (inHost) {
                    hostHeaderDone();
                } else {
                    state = S_LINE_START;
                }
            }
            default -> { // S_END_LF
                if (b == '\n') {
                    headDone();
                } else {
                    fail(MalformedHead.BARE_CR);
                }
            }
        }
    }

    private void target(int b) {
        if (b == ' ') {
            if (state == S_TARGET_FIRST) {
                fail(MalformedHead.INVALID_REQUEST_LINE); // empty target, or two spaces
                return;
            }
            if (targetState == T_AUTHORITY) {
                absoluteAuthorityDone();
                if (status != Status.NEED_MORE) {
                    return;
                }
            }
            state = S_VERSION;
            return;
        }
        if (b <= 0x20 || b == 0x7f) {
            lineByteError(b, MalformedHead.INVALID_REQUEST_LINE);
            return;
        }
        state = S_TARGET;
        switch (targetState) {
            case T_SCHEME_FIRST -> targetState = isAlpha(b) ? T_SCHEME : T_REST;
            case T_SCHEME -> {
                if (b == ':') {
                    targetState = T_SLASH1;
                } else if (!isAlpha(b) && !isDigit(b) && b != '+' && b != '-' && b != '.') {
                    targetState = T_REST;
                }
            }
            case T_SLASH1 -> targetState = b == '/' ? T_SLASH2 : T_REST;
            case T_SLASH2 -> {
                if (b == '/') {
                    targetState = T_AUTHORITY;
                    hostFromTarget = true;
                } else {
                    targetState = T_REST;
                }
            }
            case T_AUTHORITY -> {
                if (b == '/' || b == '?' || b == '#') {
                    absoluteAuthorityDone();
                    targetState = T_REST;
                } else {
                    appendAuthority(b);
                }
            }
            default -> {
                // T_REST: path and query are not ours to judge beyond the byte classes above
            }
        }
    }

    private void absoluteAuthorityDone() {
        authorityTrimmed = authorityLength;
        final int parsed = parseAuthority();
        if (parsed <= 0) {
            fail(MalformedHead.INVALID_HOST); // an absolute-form target must name a host
            return;
        }
        hostLength = parsed;
    }

    private void version(int b) {
        final int index = versionIndex++;
        if (index < HTTP_SLASH.length) {
            if (b != HTTP_SLASH[index]) {
                lineByteError(b, MalformedHead.INVALID_REQUEST_LINE);
            }
        } else if (index == 5) {
            if (!isDigit(b)) {
                lineByteError(b, MalformedHead.INVALID_REQUEST_LINE);
            } else if (b != '1') {
                status = Status.NOT_HTTP; // HTTP/2.0 preface, HTTP/3.0, ...: not an HTTP/1.x head
            } else {
                majorVersion = 1;
            }
        } else if (index == 6) {
            if (b != '.') {
                lineByteError(b, MalformedHead.INVALID_REQUEST_LINE);
            }
        } else if (index == 7) {
            if (isDigit(b)) {
                minorVersion = b - '0';
            } else {
                lineByteError(b, MalformedHead.INVALID_REQUEST_LINE);
            }
        } else if (b == '\r') {
            state = S_REQUEST_LINE_LF;
        } else {
            lineByteError(b, MalformedHead.INVALID_REQUEST_LINE);
        }
    }

    private void value(int b) {
        if (b == '\r') {
            state = S_VALUE_LF;
            return;
        }
        if (b == ' ' || b == '\t') {
            if (state == S_VALUE_LEADING) {
                return;
            }
            if (inHost) {
                appendAuthority(b); // interior whitespace stays (and is invalid); trailing is trimmed
            }
            return;
        }
        if (b < 0x20 || b == 0x7f) {
            lineByteError(b, MalformedHead.CONTROL_CHARACTER);
            return;
        }
        state = S_VALUE;
        if (inHost) {
            appendAuthority(b);
            authorityTrimmed = authorityLength;
        }
    }

    private void appendAuthority(int b) {
        if (authorityLength < MAX_AUTHORITY) {
            authority[authorityLength++] = (byte) b;
        } else {
            authorityOverflow = true;
        }
    }

    private void hostHeaderDone() {
        state = S_LINE_START;
        inHost = false;
        final int parsed = parseAuthority();
        if (parsed < 0) {
            fail(MalformedHead.INVALID_HOST);
            return;
        }
        hostEmpty = parsed == 0;
        if (!hostFromTarget) {
            hostLength = parsed;
        }
    }

    /**
     * Parses {@code authority[0, authorityTrimmed)} as host[:port] into {@link #hostBytes}, unless
     * the host already came from the target (then it only validates).
     *
     * @return the host length, 0 for an empty value, -1 when invalid
     */
    private int parseAuthority() {
        final int length = authorityTrimmed;
        if (authorityOverflow) {
            return -1;
        }
        if (length == 0) {
            return 0;
        }
        final byte[] out = hostFromTarget && hostLength > 0 ? authority : hostBytes;
        int hostEnd;
        int normalized;
        if (authority[0] == '[') {
            hostEnd = indexOf(authority, ']', length);
            if (hostEnd < 0 || !ipv6Literal(authority, 1, hostEnd)) {
                return -1;
            }
            hostEnd++; // keep the brackets
            normalized = hostEnd;
        } else {
            hostEnd = indexOf(authority, ':', length);
            if (hostEnd < 0) {
                hostEnd = length;
            }
            if (HostnameRules.isIpv4Literal(authority, 0, hostEnd)) {
                normalized = hostEnd;
            } else {
                normalized = HostnameRules.normalize(authority, 0, hostEnd);
                if (normalized <= 0) {
                    return -1;
                }
            }
        }
        if (hostEnd < length && !port(authority, hostEnd, length)) {
            return -1;
        }
        if (out != authority) {
            System.arraycopy(authority, 0, out, 0, normalized);
        }
        return normalized;
    }

    /** Validates {@code b[start, end)} as an IPv6 address (hex, ':' and '.'), lowercasing hex digits. */
    private static boolean ipv6Literal(byte[] b, int start, int end) {
        int colons = 0;
        for (int i = start; i < end; i++) {
            final int c = b[i];
            if (c == ':') {
                colons++;
            } else if (c >= 'A' && c <= 'F') {
                b[i] = (byte) (c + ('a' - 'A'));
            } else if (!isDigit(c) && !(c >= 'a' && c <= 'f') && c != '.') {
                return false; // zone ids and IPvFuture are not routable here
            }
        }
        return colons >= 2 && end - start <= 45;
    }

    /** {@code b[colon, end)} is ":" followed by 0..5 digits up to 65535 (RFC 3986 allows an empty port). */
    private static boolean port(byte[] b, int colon, int end) {
        if (b[colon] != ':' || end - colon - 1 > 5) {
            return false;
        }
        int value = 0;
        for (int i = colon + 1; i < end; i++) {
            if (!isDigit(b[i])) {
                return false;
            }
            value = value * 10 + (b[i] - '0');
        }
        return value <= 65535;
    }

    private static int indexOf(byte[] b, int c, int end) {
        for (int i = 0; i < end; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private void headDone() {
        if (hostHeaders == 0 && minorVersion >= 1) {
            fail(MalformedHead.MISSING_HOST); // even with an absolute-form target (RFC 9112 §3.2)
        } else if (hostFromTarget) {
            status = Status.FOUND;
        } else if (hostHeaders == 0) {
            status = Status.NO_HOST;
        } else if (hostEmpty) {
            status = Status.NO_HOST;
        } else {
            status = Status.FOUND;
        }
    }

    /** Names the precise fault of an unexpected byte inside a line. */
    private void lineByteError(int b, MalformedHead otherwise) {
        if (b == 0) {
            fail(MalformedHead.NUL);
        } else if (b == '\n') {
            fail(MalformedHead.BARE_LF);
        } else if (b != '\r' && (b < 0x20 || b == 0x7f)) {
            fail(MalformedHead.CONTROL_CHARACTER);
        } else {
            fail(otherwise);
        }
    }

    private void fail(MalformedHead reason) {
        status = Status.MALFORMED;
        malformed = reason;
    }

    private static boolean isTchar(int b) {
        return TCHAR[b];
    }

    private static boolean isAlpha(int b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    }

    private static boolean isDigit(int b) {
        return b >= '0' && b <= '9';
    }

    public Status status() {
        return status;
    }

    @Override
    boolean hostFound() {
        return status == Status.FOUND;
    }

    /** True when the host came from an absolute-form request-target. */
    public boolean absoluteForm() {
        return hostFromTarget;
    }

    /** The request's HTTP/1.x minor version (0 or 1, higher for future 1.x); -1 until read. */
    public int minorVersion() {
        return minorVersion;
    }

    /** Bytes of the head consumed so far, through the empty line's CRLF once decided. */
    public int headLength() {
        return consumed;
    }

    public @Nullable MalformedHead malformed() {
        return malformed;
    }
}
