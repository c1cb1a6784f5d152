package co.airdress.relay.sni;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Incremental peek of a TLS ClientHello. One instance per connection (or reused after
 * {@link #reset()}); not thread-safe.
 *
 * <p>Feed each chunk of bytes as it arrives, in order; the peek reads them without moving the
 * buffer's indices and keeps no reference to it, so the caller keeps (and later replays) the
 * bytes. Total work is O(n) however the bytes are split into TCP segments and TLS records: each
 * byte is looked at once by a two-layer state machine (records, then the handshake message), and
 * opaque fields (random, cipher suites, key shares, ...) are skipped without being read.
 *
 * <p>{@link #feed} allocates nothing: the host (at most 254 bytes with its trailing dot), the ALPN
 * list (first {@value #ALPN_CAPACITY} bytes) and supported_versions are copied into fixed arrays
 * as they stream past, since they may span records. {@link #host()} and {@link #alpn()}
 * materialise their results lazily; {@link #hostLength()} and {@link #hostByteAt(int)} read the
 * host without allocating.
 *
 * <p>The decision waits for the whole ClientHello: a host seen early could still belong to a hello
 * that turns out malformed. A declared hello longer than the cap is {@link Status#TOO_LARGE} as
 * soon as its 3-byte length has been read. What a client may make its caller hold is bounded by
 * bytes received too, record headers included: a hello the peek cannot decide within the first
 * {@code maxBytes} bytes is {@link Status#TOO_LARGE} once it has read them (a 16 KiB hello sent as
 * 1-byte records is 96 KiB on the wire). The default bound fits a hello at the cap in records of
 * {@value #MIN_RECORD_PAYLOAD} bytes or more. SSLv2-compatible hellos (first byte with the high bit
 * set) carry no extensions and are {@link Status#NOT_TLS}.
 */
public final class ClientHelloPeek extends HostPeek {

    /** BoringSSL's and Envoy's cap on a ClientHello. */
    public static final int DEFAULT_MAX_HELLO_LENGTH = 16 * 1024;

    /** The smallest record payload the default byte bound allows for a hello at the cap. */
    public static final int MIN_RECORD_PAYLOAD = 64;

    /** {@link #maxBytesFor} the default cap: 17,664 bytes. */
    public static final int DEFAULT_MAX_BYTES = maxBytesFor(DEFAULT_MAX_HELLO_LENGTH);

    /** ALPN bytes kept (1-byte length + name per protocol); further protocols are dropped. */
    public static final int ALPN_CAPACITY = 256;

    /** A handshake message header plus a 24-bit body length. */
    private static final int MAX_CAP = 4 + 0xFFFFFF;
    /** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
    private static final int MAX_RECORD_PAYLOAD = 1 << 14;

    private static final int RECORD_HEADER_LENGTH = 5;

    private static final int CONTENT_TYPE_HANDSHAKE = 22;
    private static final int HANDSHAKE_CLIENT_HELLO = 1;
    private static final int EXT_SERVER_NAME = 0x0000;
    private static final int EXT_ALPN = 0x0010;
    private static final int EXT_SUPPORTED_VERSIONS = 0x002b;
    private static final int EXT_ECH = 0xfe0d;
    private static final int MAX_HOST_BYTES = HostnameRules.MAX_NAME_LENGTH + 1;
    private static final int MAX_VERSIONS = 127;
    private static final VarHandle LONG_BIG_ENDIAN =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BIG_ENDIAN =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT_BIG_ENDIAN =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    // How the bytes of the current field are consumed.
    private static final int MODE_INT = 0;
    private static final int MODE_SKIP = 1;
    private static final int MODE_HOST = 2;
    private static final int MODE_ALPN = 3;

    // Handshake fields, in wire order.
    private static final int F_HS_TYPE = 0;
    private static final int F_HS_LENGTH = 1;
    private static final int F_LEGACY_VERSION = 2;
    private static final int F_RANDOM = 3;
    private static final int F_SESSION_ID_LENGTH = 4;
    private static final int F_SESSION_ID = 5;
    private static final int F_CIPHER_SUITES_LENGTH = 6;
    private static final int F_CIPHER_SUITES = 7;
    private static final int F_COMPRESSION_LENGTH = 8;
    private static final int F_COMPRESSION = 9;
    private static final int F_EXTENSIONS_LENGTH = 10;
    private static final int F_EXT_TYPE = 11;
    private static final int F_EXT_LENGTH = 12;
    private static final int F_EXT_BODY = 13;
    private static final int F_SNI_LIST_LENGTH = 14;
    private static final int F_SNI_NAME_TYPE = 15;
    private static final int F_SNI_NAME_LENGTH = 16;
    private static final int F_SNI_NAME = 17;
    private static final int F_SNI_OTHER_NAME = 18;
    private static final int F_ALPN_LIST_LENGTH = 19;
    private static final int F_ALPN_NAME_LENGTH = 20;
    private static final int F_ALPN_NAME = 21;
    private static final int F_VERSIONS_LENGTH = 22;
    private static final int F_VERSION = 23;

    // Bits of 'seenExtensions'.
    private static final int SEEN_SNI = 1;
    private static final int SEEN_ALPN = 2;
    private static final int SEEN_VERSIONS = 4;
    private static final int SEEN_ECH = 8;

    /** What the peek knows so far. Every value but {@link #NEED_MORE} is final. */
    public enum Status {
        /** Not decidable yet: feed more bytes. */
        NEED_MORE,
        /** A valid SNI host_name: {@link #host()}. */
        FOUND,
        /** A well-formed ClientHello without a server_name extension. */
        NO_SNI,
        /** The first bytes are not a TLS handshake record. */
        NOT_TLS,
        /**
         * The declared ClientHello is longer than the cap (decided before buffering it), or it was
         * not decided within the byte bound (decided once the bound's last byte has been read).
         */
        TOO_LARGE,
        /** A TLS handshake that breaks the grammar or our hostname rules: {@link #malformed()}. */
        MALFORMED
    }

    private final int maxHelloLength;
    private final int maxBytes;
    private final byte[] alpnBytes = new byte[ALPN_CAPACITY];
    private final int[] versions = new int[MAX_VERSIONS];

    private Status status;
    private @Nullable MalformedHello malformed;

    // Record layer. bytesRead counts what was fed while undecided, up to maxBytes.
    private int bytesRead;
    private boolean firstRecord;
    private int recordHeaderFill;
    private int recordLength;
    private int recordRemaining;

    // Handshake layer: the current field, and the ends (handshake offsets) of the enclosing blocks.
    private int field;
    private int mode;
    private int need;
    private int acc;
    private int pos;
    private int helloEnd;
    private int extensionsEnd;
    private int extensionEnd;
    private int extensionType;
    private int nameType;

    // Results.
    private int helloLength;
    private int legacyVersion;
    private int seenExtensions;
    private boolean hostSeen;
    private int alpnFill;
    private boolean alpnTruncated;
    private int versionCount;
    private @Nullable List<String> alpn;

    public ClientHelloPeek() {
        this(DEFAULT_MAX_HELLO_LENGTH);
    }

    /**
     * @param maxHelloLength cap on the handshake message (4-byte header + body); the byte bound is
     *     {@link #maxBytesFor}{@code (maxHelloLength)}
     */
    public ClientHelloPeek(int maxHelloLength) {
        this(maxHelloLength, maxBytesFor(maxHelloLength));
    }

    /**
     * @param maxHelloLength cap on the handshake message (4-byte header + body)
     * @param maxBytes bytes the peek reads (records with their headers) before it must have
     *     decided; at least {@code maxHelloLength + 5}, so that a hello at the cap in one record fits
     */
    public ClientHelloPeek(int maxHelloLength, int maxBytes) {
        super(MAX_HOST_BYTES);
        if (maxHelloLength < 4 || maxHelloLength > MAX_CAP) {
            throw new IllegalArgumentException("maxHelloLength: " + maxHelloLength + " (expected: 4.." + MAX_CAP + ")");
        }
        if (maxBytes < maxHelloLength + RECORD_HEADER_LENGTH) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: at least maxHelloLength + 5 = "
                    + (maxHelloLength + RECORD_HEADER_LENGTH) + ")");
        }
        this.maxHelloLength = maxHelloLength;
        this.maxBytes = maxBytes;
        reset();
    }

    /**
     * The byte bound that fits a hello of {@code maxHelloLength} bytes cut into records of
     * {@value #MIN_RECORD_PAYLOAD} bytes or more: the hello plus a 5-byte header per
     * {@value #MIN_RECORD_PAYLOAD} bytes (saturating at {@link Integer#MAX_VALUE}).
     */
    public static int maxBytesFor(int maxHelloLength) {
        long records = (maxHelloLength + (long) MIN_RECORD_PAYLOAD - 1) / MIN_RECORD_PAYLOAD;
        return (int) Math.min(Integer.MAX_VALUE, maxHelloLength + RECORD_HEADER_LENGTH * Math.max(1, records));
    }

    /** Forgets everything fed so far, ready for a new connection. */
    public void reset() {
        status = Status.NEED_MORE;
        malformed = null;
        bytesRead = 0;
        firstRecord = true;
        recordHeaderFill = 0;
        recordLength = 0;
        recordRemaining = 0;
        field = F_HS_TYPE;
        mode = MODE_INT;
        need = 1;
        acc = 0;
        pos = 0;
        helloEnd = Integer.MAX_VALUE;
        extensionsEnd = 0;
        extensionEnd = 0;
        extensionType = 0;
        nameType = 0;
        helloLength = 0;
        legacyVersion = -1;
        seenExtensions = 0;
        hostSeen = false;
        forgetHost();
        alpnFill = 0;
        alpnTruncated = false;
        versionCount = 0;
        alpn = null;
    }

    /**
     * Reads {@code chunk}'s readable bytes (indices untouched), at most up to the byte bound, and
     * returns the status.
     */
    public Status feed(ByteBuf chunk) {
        if (status != Status.NEED_MORE) {
            return status;
        }
        int i = chunk.readerIndex();
        // Never past the byte bound: nothing beyond it can change the outcome.
        final int end = i + Math.min(chunk.writerIndex() - i, maxBytes - bytesRead);
        final int start = i;
        while (i < end && status == Status.NEED_MORE) {
            if (recordRemaining == 0) {
                if (recordHeaderFill == 0 && end - i >= 5) {
                    // The usual case: a whole record header in this chunk.
                    recordHeader(chunk.getUnsignedByte(i), chunk.getUnsignedByte(i + 1), chunk.getUnsignedShort(i + 3));
                    i += 5;
                } else {
                    recordHeaderByte(chunk.getByte(i++) & 0xff);
                }
            } else {
                final int take = Math.min(recordRemaining, end - i);
                if (pos == 0 && field == F_HS_TYPE && wholeHello(chunk, i, i + take)) {
                    break; // decided in one pass over contiguous bytes
                }
                handshake(chunk, i, i + take);
                recordRemaining -= take;
                i += take;
            }
        }
        if (status == Status.NEED_MORE) {
            bytesRead += end - start;
            if (bytesRead == maxBytes) {
                status = Status.TOO_LARGE; // not decided within the bound: deciding needs more bytes
            }
        }
        return status;
    }

    /**
     * Fast path for the common case of a whole ClientHello in one record and one chunk: one
     * straight pass with direct index arithmetic, no per-field dispatch. It only ever accepts
     * (FOUND or NO_SNI); on anything unusual or wrong it returns false having changed nothing that
     * the state machine has not yet to set, and the state machine parses the same bytes and names
     * the fault. Both paths must agree on every input: the fragmentation tests and the fuzz target
     * compare whole feeds (this path) with split ones (the state machine).
     */
    private boolean wholeHello(ByteBuf buf, int start, int end) {
        if (end - start < 4 || buf.getUnsignedByte(start) != HANDSHAKE_CLIENT_HELLO) {
            return false;
        }
        final int length = 4 + buf.getUnsignedMedium(start + 1);
        if (length > maxHelloLength || length > end - start) {
            return false;
        }
        final int stop = start + length;
        int p = start + 4;
        if (stop - p < 35) {
            return false;
        }
        final int version = buf.getUnsignedShort(p);
        p += 34;
        final int sessionId = buf.getUnsignedByte(p++);
        if (sessionId > 32 || stop - p < sessionId + 2) {
            return false;
        }
        p += sessionId;
        final int suites = buf.getUnsignedShort(p);
        p += 2;
        if (suites == 0 || (suites & 1) != 0 || stop - p < suites + 1) {
            return false;
        }
        p += suites;
        final int compression = buf.getUnsignedByte(p++);
        if (compression == 0 || stop - p < compression) {
            return false;
        }
        p += compression;
        int seen = 0;
        if (p != stop) {
            if (stop - p < 2 || buf.getUnsignedShort(p) != stop - p - 2) {
                return wholeHelloFailed();
            }
            p += 2;
            while (p < stop) {
                if (stop - p < 4) {
                    return wholeHelloFailed();
                }
                final int header = buf.getInt(p); // type and length in one read
                final int type = header >>> 16;
                final int extensionLength = header & 0xffff;
                p += 4;
                if (extensionLength > stop - p) {
                    return wholeHelloFailed();
                }
                final int bit = switch (type) {
                    case EXT_SERVER_NAME -> SEEN_SNI;
                    case EXT_ALPN -> SEEN_ALPN;
                    case EXT_SUPPORTED_VERSIONS -> SEEN_VERSIONS;
                    case EXT_ECH -> SEEN_ECH;
                    default -> 0;
                };
                if (bit != 0) {
                    if ((seen & bit) != 0) {
                        return wholeHelloFailed();
                    }
                    seen |= bit;
                    final boolean ok = switch (type) {
                        case EXT_SERVER_NAME -> serverNames(buf, p, p + extensionLength);
                        case EXT_ALPN -> alpnNames(buf, p, p + extensionLength);
                        case EXT_SUPPORTED_VERSIONS -> versionList(buf, p, p + extensionLength);
                        default -> true;
                    };
                    if (!ok) {
                        return wholeHelloFailed();
                    }
                }
                p += extensionLength;
            }
        }
        helloLength = length;
        legacyVersion = version;
        seenExtensions = seen;
        pos = length;
        finish();
        return true;
    }

    /** Undoes what {@link #wholeHello} may have stored, so that the state machine starts clean. */
    private boolean wholeHelloFailed() {
        hostSeen = false;
        hostLength = 0;
        alpnFill = 0;
        alpnTruncated = false;
        versionCount = 0;
        return false;
    }

    private boolean serverNames(ByteBuf buf, int p, int stop) {
        if (stop - p < 2) {
            return false;
        }
        final int listLength = buf.getUnsignedShort(p);
        p += 2;
        if (listLength == 0 || listLength != stop - p) {
            return false;
        }
        while (p < stop) {
            if (stop - p < 3) {
                return false;
            }
            final int type = buf.getUnsignedByte(p);
            final int nameLength = buf.getUnsignedShort(p + 1);
            p += 3;
            if (nameLength > stop - p) {
                return false;
            }
            if (type == 0) {
                if (hostSeen || nameLength == 0 || nameLength > MAX_HOST_BYTES) {
                    return false;
                }
                hostSeen = true;
                copy(buf, p, hostBytes, 0, nameLength);
                final int normalized = HostnameRules.normalize(hostBytes, 0, nameLength);
                if (normalized <= 0) {
                    return false;
                }
                hostLength = normalized;
            }
            p += nameLength;
        }
        return true;
    }

    private boolean alpnNames(ByteBuf buf, int p, int stop) {
        if (stop - p < 2) {
            return false;
        }
        final int listLength = buf.getUnsignedShort(p);
        p += 2;
        if (listLength < 2 || listLength != stop - p) {
            return false;
        }
        while (p < stop) {
            final int nameLength = buf.getUnsignedByte(p++);
            if (nameLength == 0 || nameLength > stop - p) {
                return false;
            }
            if (!alpnTruncated && alpnFill + 1 + nameLength <= ALPN_CAPACITY) {
                alpnBytes[alpnFill++] = (byte) nameLength;
                copy(buf, p, alpnBytes, alpnFill, nameLength);
                alpnFill += nameLength;
            } else {
                alpnTruncated = true;
            }
            p += nameLength;
        }
        return true;
    }

    private boolean versionList(ByteBuf buf, int p, int stop) {
        if (stop - p < 1) {
            return false;
        }
        final int listLength = buf.getUnsignedByte(p++);
        if (listLength == 0 || (listLength & 1) != 0 || listLength != stop - p) {
            return false;
        }
        for (; p < stop; p += 2) {
            versions[versionCount++] = buf.getUnsignedShort(p);
        }
        return true;
    }

    /** One byte of a record header that arrives split across chunks. */
    private void recordHeaderByte(int b) {
        switch (recordHeaderFill++) {
            case 0 -> recordType(b);
            case 1 -> recordMajor(b);
            case 2 -> {
                // Any 3.x minor: record versions are frozen at 0x0301/0x0303 but older stacks vary.
            }
            case 3 -> recordLength = b << 8;
            default -> {
                recordHeaderFill = 0;
                recordLength(recordLength | b);
            }
        }
    }

    private void recordHeader(int type, int major, int length) {
        recordType(type);
        if (status == Status.NEED_MORE) {
            recordMajor(major);
            if (status == Status.NEED_MORE) {
                recordLength(length);
            }
        }
    }

    private void recordType(int type) {
        if (type != CONTENT_TYPE_HANDSHAKE) {
            if (firstRecord) {
                status = Status.NOT_TLS;
            } else {
                fail(MalformedHello.RECORD_TYPE);
            }
        }
    }

    private void recordMajor(int major) {
        if (major != 3) {
            if (firstRecord) {
                status = Status.NOT_TLS;
            } else {
                fail(MalformedHello.RECORD_VERSION);
            }
        }
    }

    private void recordLength(int length) {
        recordLength = length;
        firstRecord = false;
        if (length == 0 || length > MAX_RECORD_PAYLOAD) {
            fail(MalformedHello.RECORD_LENGTH);
        } else {
            recordRemaining = length;
        }
    }

    /** Consumes handshake bytes {@code [i, end)} of {@code buf}. */
    private void handshake(ByteBuf buf, int i, int end) {
        while (i < end && status == Status.NEED_MORE) {
            if (field == F_EXT_TYPE && need == 2 && end - i >= 4) {
                i = extensionRun(buf, i, end);
                continue;
            }
            switch (mode) {
                case MODE_INT -> {
                    final int n = need;
                    if (end - i >= n) {
                        // The rest of the field in one read: the common case.
                        final int v = switch (n) {
                            case 1 -> buf.getUnsignedByte(i);
                            case 2 -> buf.getUnsignedShort(i);
                            default -> buf.getUnsignedMedium(i);
                        };
                        acc = (acc << (n << 3)) | v;
                        i += n;
                        pos += n;
                        need = 0;
                        fieldDone();
                    } else {
                        acc = (acc << 8) | (buf.getByte(i++) & 0xff);
                        pos++;
                        need--;
                    }
                }
                case MODE_SKIP -> {
                    final int take = Math.min(need, end - i);
                    i += take;
                    pos += take;
                    need -= take;
                    if (need == 0) {
                        fieldDone();
                    }
                }
                case MODE_HOST -> {
                    final int take = Math.min(need, end - i);
                    copy(buf, i, hostBytes, hostLength, take);
                    hostLength += take;
                    i += take;
                    pos += take;
                    need -= take;
                    if (need == 0) {
                        fieldDone();
                    }
                }
                default -> { // MODE_ALPN
                    final int take = Math.min(need, end - i);
                    copy(buf, i, alpnBytes, alpnFill, take);
                    alpnFill += take;
                    i += take;
                    pos += take;
                    need -= take;
                    if (need == 0) {
                        fieldDone();
                    }
                }
            }
        }
    }

    /**
     * At the start of an extension: walks the extensions that lie whole in {@code [i, end)} in a
     * tight loop, skipping the ones we do not read, instead of dispatching field by field (the
     * state machine's indirect jumps dominated the cost of a whole hello). It hands over to the
     * state machine for the extensions we parse, or when it runs out of bytes, in exactly the state
     * the field-by-field path would be in, so both paths decide alike (the fragmentation tests and
     * the fuzz target compare them).
     *
     * @return the index it stopped at
     */
    private int extensionRun(ByteBuf buf, int i, int end) {
        while (end - i >= 4) {
            if (extensionsEnd - pos < 4) {
                fail(MalformedHello.LENGTH_OVERRUN); // type fits, length does not
                return i;
            }
            final int type = buf.getUnsignedShort(i);
            final int length = buf.getUnsignedShort(i + 2);
            i += 4;
            pos += 4;
            extensionType = type;
            if (type == EXT_SERVER_NAME
                    || type == EXT_ALPN
                    || type == EXT_SUPPORTED_VERSIONS
                    || type == EXT_ECH
                    || length > end - i
                    || length > extensionsEnd - pos) {
                field = F_EXT_LENGTH; // as if its length had just been read
                mode = MODE_INT;
                need = 0;
                acc = length;
                extensionBody(length);
                return i;
            }
            i += length;
            pos += length;
            if (pos == extensionsEnd) {
                finish();
                return i;
            }
            if (extensionsEnd - pos < 2) {
                fail(MalformedHello.LENGTH_OVERRUN);
                return i;
            }
        }
        return i;
    }

    /**
     * Copies without allocating. {@code ByteBuf.getBytes(int, byte[], ...)} is not enough: a direct
     * buffer without Unsafe (Netty 4.2 on JDK 24+) duplicates its NIO buffer on every call.
     */
    private static void copy(ByteBuf buf, int index, byte[] dst, int dstIndex, int length) {
        if (buf.hasArray()) {
            System.arraycopy(buf.array(), buf.arrayOffset() + index, dst, dstIndex, length);
            return;
        }
        // As few reads as possible (each one pays bounds, liveness and ByteBuffer checks): whole
        // words, then a last word that may overlap the previous one, instead of a byte-wise tail.
        if (length >= 8) {
            int k = 0;
            for (; length - k > 8; k += 8) {
                LONG_BIG_ENDIAN.set(dst, dstIndex + k, buf.getLong(index + k)); // ByteBuf is big-endian
            }
            LONG_BIG_ENDIAN.set(dst, dstIndex + length - 8, buf.getLong(index + length - 8));
        } else if (length >= 4) {
            INT_BIG_ENDIAN.set(dst, dstIndex, buf.getInt(index));
            INT_BIG_ENDIAN.set(dst, dstIndex + length - 4, buf.getInt(index + length - 4));
        } else if (length >= 2) {
            SHORT_BIG_ENDIAN.set(dst, dstIndex, buf.getShort(index));
            SHORT_BIG_ENDIAN.set(dst, dstIndex + length - 2, buf.getShort(index + length - 2));
        } else if (length == 1) {
            dst[dstIndex] = buf.getByte(index);
        }
    }

    /** Starts reading a field of {@code length} bytes, which must end within {@code bound}. */
    private void expect(int nextField, int nextMode, int length, int bound) {
        if (length > bound - pos) {
            fail(MalformedHello.LENGTH_OVERRUN);
            return;
        }
        field = nextField;
        mode = nextMode;
        need = length;
        acc = 0;
        if (length == 0) {
            fieldDone();
        }
    }

    /** Checks that a list length fills its enclosing block exactly. */
    private boolean fills(int length, int blockEnd) {
        final int left = blockEnd - pos;
        if (length > left) {
            fail(MalformedHello.LENGTH_OVERRUN);
            return false;
        }
        if (length < left) {
            fail(MalformedHello.LENGTH_MISMATCH);
            return false;
        }
        return true;
    }

    private void fieldDone() {
        final int value = acc;
        switch (field) {
            case F_HS_TYPE -> {
                if (value != HANDSHAKE_CLIENT_HELLO) {
                    fail(MalformedHello.NOT_CLIENT_HELLO);
                    return;
                }
                expect(F_HS_LENGTH, MODE_INT, 3, Integer.MAX_VALUE);
            }
            case F_HS_LENGTH -> {
                helloLength = 4 + value;
                if (helloLength > maxHelloLength) {
                    status = Status.TOO_LARGE;
                    return;
                }
                helloEnd = helloLength;
                expect(F_LEGACY_VERSION, MODE_INT, 2, helloEnd);
            }
            case F_LEGACY_VERSION -> {
                legacyVersion = value;
                expect(F_RANDOM, MODE_SKIP, 32, helloEnd);
            }
            case F_RANDOM -> expect(F_SESSION_ID_LENGTH, MODE_INT, 1, helloEnd);
            case F_SESSION_ID_LENGTH -> {
                if (value > 32) {
                    fail(MalformedHello.SESSION_ID_TOO_LONG);
                    return;
                }
                expect(F_SESSION_ID, MODE_SKIP, value, helloEnd);
            }
            case F_SESSION_ID -> expect(F_CIPHER_SUITES_LENGTH, MODE_INT, 2, helloEnd);
            case F_CIPHER_SUITES_LENGTH -> {
                if (value == 0 || (value & 1) != 0) {
                    fail(MalformedHello.CIPHER_SUITES_LENGTH);
                    return;
                }
                expect(F_CIPHER_SUITES, MODE_SKIP, value, helloEnd);
            }
            case F_CIPHER_SUITES -> expect(F_COMPRESSION_LENGTH, MODE_INT, 1, helloEnd);
            case F_COMPRESSION_LENGTH -> {
                if (value == 0) {
                    fail(MalformedHello.COMPRESSION_METHODS_LENGTH);
                    return;
                }
                expect(F_COMPRESSION, MODE_SKIP, value, helloEnd);
            }
            case F_COMPRESSION -> {
                if (pos == helloEnd) {
                    finish(); // a TLS 1.2 hello may omit the extensions block
                } else {
                    expect(F_EXTENSIONS_LENGTH, MODE_INT, 2, helloEnd);
                }
            }
            case F_EXTENSIONS_LENGTH -> {
                if (fills(value, helloEnd)) {
                    extensionsEnd = helloEnd;
                    nextExtension();
                }
            }
            case F_EXT_TYPE -> {
                extensionType = value;
                expect(F_EXT_LENGTH, MODE_INT, 2, extensionsEnd);
            }
            case F_EXT_LENGTH -> extensionBody(value);
            case F_EXT_BODY -> nextExtension();
            case F_SNI_LIST_LENGTH -> {
                if (value == 0) {
                    fail(MalformedHello.EMPTY_SERVER_NAME_LIST);
                } else if (fills(value, extensionEnd)) {
                    nextServerName();
                }
            }
            case F_SNI_NAME_TYPE -> {
                nameType = value;
                expect(F_SNI_NAME_LENGTH, MODE_INT, 2, extensionEnd);
            }
            case F_SNI_NAME_LENGTH -> serverName(value);
            case F_SNI_NAME -> {
                final int normalized = HostnameRules.normalize(hostBytes, 0, hostLength);
                if (normalized == HostnameRules.EMPTY) {
                    fail(MalformedHello.EMPTY_HOST);
                    return;
                }
                if (normalized == HostnameRules.INVALID) {
                    fail(MalformedHello.INVALID_HOST);
                    return;
                }
                hostLength = normalized;
                nextServerName();
            }
            case F_SNI_OTHER_NAME -> nextServerName();
            case F_ALPN_LIST_LENGTH -> {
                if (value < 2) {
                    fail(MalformedHello.INVALID_ALPN);
                } else if (fills(value, extensionEnd)) {
                    nextAlpn();
                }
            }
            case F_ALPN_NAME_LENGTH -> {
                if (value == 0) {
                    fail(MalformedHello.INVALID_ALPN);
                } else if (!alpnTruncated && alpnFill + 1 + value <= ALPN_CAPACITY) {
                    alpnBytes[alpnFill++] = (byte) value;
                    expect(F_ALPN_NAME, MODE_ALPN, value, extensionEnd);
                } else {
                    alpnTruncated = true;
                    expect(F_ALPN_NAME, MODE_SKIP, value, extensionEnd);
                }
            }
            case F_ALPN_NAME -> nextAlpn();
            case F_VERSIONS_LENGTH -> {
                if (value == 0 || (value & 1) != 0) {
                    fail(MalformedHello.INVALID_SUPPORTED_VERSIONS);
                } else if (fills(value, extensionEnd)) {
                    nextVersion();
                }
            }
            case F_VERSION -> {
                versions[versionCount++] = value;
                nextVersion();
            }
            default -> throw new AssertionError("field: " + field);
        }
    }

    private void extensionBody(int length) {
        if (length > extensionsEnd - pos) {
            fail(MalformedHello.LENGTH_OVERRUN);
            return;
        }
        extensionEnd = pos + length;
        switch (extensionType) {
            case EXT_SERVER_NAME -> {
                if (firstSighting(SEEN_SNI)) {
                    expect(F_SNI_LIST_LENGTH, MODE_INT, 2, extensionEnd);
                }
            }
            case EXT_ALPN -> {
                if (firstSighting(SEEN_ALPN)) {
                    expect(F_ALPN_LIST_LENGTH, MODE_INT, 2, extensionEnd);
                }
            }
            case EXT_SUPPORTED_VERSIONS -> {
                if (firstSighting(SEEN_VERSIONS)) {
                    expect(F_VERSIONS_LENGTH, MODE_INT, 1, extensionEnd);
                }
            }
            case EXT_ECH -> {
                if (firstSighting(SEEN_ECH)) {
                    expect(F_EXT_BODY, MODE_SKIP, length, extensionEnd);
                }
            }
            default -> expect(F_EXT_BODY, MODE_SKIP, length, extensionEnd);
        }
    }

    private boolean firstSighting(int bit) {
        if ((seenExtensions & bit) != 0) {
            fail(MalformedHello.DUPLICATE_EXTENSION);
            return false;
        }
        seenExtensions |= bit;
        return true;
    }

    private void serverName(int length) {
        if (nameType != 0) {
            // RFC 6066 defines only host_name; every name type shares the opaque<1..2^16-1> shape.
            expect(F_SNI_OTHER_NAME, MODE_SKIP, length, extensionEnd);
            return;
        }
        if (hostSeen) {
            fail(MalformedHello.DUPLICATE_SNI);
            return;
        }
        hostSeen = true;
        if (length == 0) {
            fail(MalformedHello.EMPTY_HOST);
        } else if (length > MAX_HOST_BYTES) {
            if (length > extensionEnd - pos) {
                fail(MalformedHello.LENGTH_OVERRUN);
            } else {
                fail(MalformedHello.INVALID_HOST);
            }
        } else {
            expect(F_SNI_NAME, MODE_HOST, length, extensionEnd);
        }
    }

    private void nextExtension() {
        if (pos == extensionsEnd) {
            finish();
        } else {
            expect(F_EXT_TYPE, MODE_INT, 2, extensionsEnd);
        }
    }

    private void nextServerName() {
        if (pos == extensionEnd) {
            nextExtension();
        } else {
            expect(F_SNI_NAME_TYPE, MODE_INT, 1, extensionEnd);
        }
    }

    private void nextAlpn() {
        if (pos == extensionEnd) {
            nextExtension();
        } else {
            expect(F_ALPN_NAME_LENGTH, MODE_INT, 1, extensionEnd);
        }
    }

    private void nextVersion() {
        if (pos == extensionEnd) {
            nextExtension();
        } else {
            expect(F_VERSION, MODE_INT, 2, extensionEnd);
        }
    }

    private void finish() {
        if (hostSeen) {
            status = Status.FOUND;
        } else {
            hostLength = 0;
            status = Status.NO_SNI;
        }
    }

    private void fail(MalformedHello reason) {
        status = Status.MALFORMED;
        malformed = reason;
        hostLength = 0;
    }

    public Status status() {
        return status;
    }

    @Override
    boolean hostFound() {
        return status == Status.FOUND;
    }

    /**
     * ALPN protocol names in the client's order; empty when absent. Names are opaque bytes, mapped
     * one byte to one char (ISO-8859-1). Only the first {@value #ALPN_CAPACITY} bytes of the list are
     * kept (see {@link #alpnTruncated()}).
     */
    public List<String> alpn() {
        List<String> a = alpn;
        if (a == null) {
            final List<String> names = new ArrayList<>();
            int i = 0;
            while (i < alpnFill) {
                final int length = alpnBytes[i] & 0xff;
                if (i + 1 + length > alpnFill) {
                    break; // a name still streaming in
                }
                names.add(new String(alpnBytes, i + 1, length, StandardCharsets.ISO_8859_1));
                i += 1 + length;
            }
            a = List.copyOf(names);
            if (status != Status.NEED_MORE) {
                alpn = a;
            }
        }
        return a;
    }

    /** True when the ALPN list was longer than {@value #ALPN_CAPACITY} bytes and {@link #alpn()} lost its tail. */
    public boolean alpnTruncated() {
        return alpnTruncated;
    }

    /** Why the hello was rejected; only when {@link Status#MALFORMED}. */
    public @Nullable MalformedHello malformed() {
        return malformed;
    }

    /** ClientHello.legacy_version, e.g. 0x0303; -1 until read. */
    public int legacyVersion() {
        return legacyVersion;
    }

    /** The supported_versions extension's entries in the client's order (GREASE included); empty when absent. */
    public int[] supportedVersions() {
        return Arrays.copyOf(versions, versionCount);
    }

    /** True when supported_versions lists TLS 1.3 (0x0304); allocation-free. */
    public boolean offersTls13() {
        for (int i = 0; i < versionCount; i++) {
            if (versions[i] == 0x0304) {
                return true;
            }
        }
        return false;
    }

    /** True when an encrypted_client_hello (0xfe0d) extension is present: the host is the outer SNI. */
    public boolean echPresent() {
        return (seenExtensions & SEEN_ECH) != 0;
    }

    /** Total length of the handshake message (4-byte header + body) as declared; 0 until its header is read. */
    public int helloLength() {
        return helloLength;
    }
}
