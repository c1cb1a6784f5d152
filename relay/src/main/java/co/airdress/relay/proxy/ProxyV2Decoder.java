package co.airdress.relay.proxy;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A sans-IO parser for one PROXY protocol version 2 header, fed the bytes as they arrive in chunks
 * of any size. It never reads past the header, never moves the chunk's indices, and holds at most
 * {@code maxHeader} bytes. Strict: the signature, version 2, the PROXY or LOCAL command, TCP over
 * IPv4 or IPv6 (or UNSPEC for LOCAL), an address block that fits, TLVs that exactly fill the rest,
 * no TLV of ours twice, and printable ASCII in AUTHORITY, ALPN and the PoP names. Unknown TLV types
 * are skipped, as the specification asks.
 *
 * <p>The outcome is decided as early as the bytes allow (a wrong signature byte, a length over the
 * bound) and does not depend on how the bytes are chunked. Once decided, {@link #feed} returns the
 * same status and consumes nothing more.
 */
public final class ProxyV2Decoder {

    /** The 12-byte signature every v2 header starts with. */
    static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** Signature, version/command, family/protocol, length. */
    public static final int FIXED = 16;

    /** The largest header the format allows: the fixed part plus a 16-bit length. */
    public static final int MAX_POSSIBLE = FIXED + 0xffff;

    private static final int TLV_ALPN = 0x01;
    private static final int TLV_AUTHORITY = 0x02;
    private static final int MAX_NAME = 255;

    public enum Status {
        /** Not decided yet: feed more bytes. */
        NEED_MORE,
        /** A valid header: {@link #header()}; the bytes after it are not the header's. */
        DONE,
        /** Not a valid v2 header: {@link #problem()}. */
        MALFORMED,
        /** The header announces more bytes than the bound. */
        TOO_BIG
    }

    /** Whether the header says PROXY (addresses follow) or LOCAL (a connection of the sender's own). */
    public enum Command {
        LOCAL,
        PROXY
    }

    /**
     * A decoded header. For {@link Command#LOCAL} (and UNSPEC) the addresses are null.
     *
     * @param pop TLV 0xE0, the PoP that delivers to the operator
     * @param ingressPop TLV 0xE1, the PoP the client reached
     */
    public record Header(
            Command command,
            @Nullable InetSocketAddress source,
            @Nullable InetSocketAddress destination,
            @Nullable String authority,
            List<String> alpn,
            @Nullable String pop,
            @Nullable String ingressPop,
            int length) {

        public Header {
            alpn = List.copyOf(alpn);
        }
    }

    private final int maxHeader;
    private final byte[] buf;
    private byte[] body = new byte[0];
    private int filled;
    private int total = -1;
    private int usedOfLast;
    private Status status = Status.NEED_MORE;
    private @Nullable Header header;
    private @Nullable String problem;

    /**
     * @param maxHeader the most bytes a header may take, fixed part included ({@value #FIXED} to
     *     {@value #MAX_POSSIBLE})
     */
    public ProxyV2Decoder(int maxHeader) {
        if (maxHeader < FIXED || maxHeader > MAX_POSSIBLE) {
            throw new IllegalArgumentException(
                    "maxHeader: " + maxHeader + " (expected: " + FIXED + ".." + MAX_POSSIBLE + ")");
        }
        this.maxHeader = maxHeader;
        this.buf = new byte[FIXED];
    }

    /**
     * Reads from {@code chunk} (its readable bytes; indices unchanged) as much as the header
     * needs. After {@link Status#DONE}, {@link #usedOfLast()} says how many of this chunk's bytes
     * were the header's.
     */
    public Status feed(ByteBuf chunk) {
        usedOfLast = 0;
        if (status != Status.NEED_MORE) {
            return status;
        }
        int from = chunk.readerIndex();
        int end = chunk.writerIndex();
        int i = from;
        while (i < end && filled < FIXED) {
            byte b = chunk.getByte(i++);
            buf[filled] = b;
            if (filled < SIGNATURE.length && b != SIGNATURE[filled]) {
                usedOfLast = i - from;
                return fail("byte " + filled + " is not the v2 signature");
            }
            filled++;
            if (filled == FIXED) {
                Status s = fixedPart();
                if (s != Status.NEED_MORE) {
                    usedOfLast = i - from;
                    return s;
                }
            }
        }
        if (filled >= FIXED) {
            int want = total - filled;
            int take = Math.min(want, end - i);
            chunk.getBytes(i, body, filled - FIXED, take);
            filled += take;
            i += take;
            if (filled == total) {
                usedOfLast = i - from;
                return finish();
            }
        }
        usedOfLast = i - from;
        return status;
    }

    private Status fixedPart() {
        int verCmd = buf[12] & 0xff;
        if (verCmd >> 4 != 2) {
            return fail("version " + (verCmd >> 4) + " (expected: 2)");
        }
        int cmd = verCmd & 0x0f;
        if (cmd > 1) {
            return fail("command " + cmd + " (expected: 0 LOCAL or 1 PROXY)");
        }
        int famProto = buf[13] & 0xff;
        if (cmd == 1 && famProto != 0x11 && famProto != 0x21) {
            return fail("family/protocol 0x" + Integer.toHexString(famProto) + " (expected: 0x11 TCP4 or 0x21 TCP6)");
        }
        if (cmd == 0 && famProto != 0x00 && famProto != 0x11 && famProto != 0x21) {
            return fail("family/protocol 0x" + Integer.toHexString(famProto) + " (expected: 0x00, 0x11 or 0x21)");
        }
        int len = ((buf[14] & 0xff) << 8) | (buf[15] & 0xff);
        if (FIXED + len > maxHeader) {
            status = Status.TOO_BIG;
            problem = "header of " + (FIXED + len) + " bytes (expected: at most " + maxHeader + ")";
            return status;
        }
        int addr = addressLength(famProto);
        if (len < addr) {
            return fail("length " + len + " is shorter than the address block (" + addr + ")");
        }
        total = FIXED + len;
        body = new byte[len];
        if (len == 0) {
            return finish();
        }
        return Status.NEED_MORE;
    }

    private static int addressLength(int famProto) {
        return switch (famProto) {
            case 0x11 -> 12;
            case 0x21 -> 36;
            default -> 0;
        };
    }

    private Status finish() {
        int famProto = buf[13] & 0xff;
        Command command = (buf[12] & 0x0f) == 1 ? Command.PROXY : Command.LOCAL;
        int addr = addressLength(famProto);
        InetSocketAddress src = null;
        InetSocketAddress dst = null;
        if (command == Command.PROXY) {
            int ipLen = famProto == 0x11 ? 4 : 16;
            src = address(body, 0, ipLen, 2 * ipLen);
            dst = address(body, ipLen, ipLen, 2 * ipLen + 2);
        }
        String authority = null;
        String pop = null;
        String ingress = null;
        List<String> alpn = List.of();
        boolean sawAlpn = false;
        int p = addr;
        while (p < body.length) {
            if (body.length - p < 3) {
                return fail("truncated TLV at offset " + (FIXED + p));
            }
            int type = body[p] & 0xff;
            int len = ((body[p + 1] & 0xff) << 8) | (body[p + 2] & 0xff);
            int v = p + 3;
            if (len > body.length - v) {
                return fail("TLV 0x" + Integer.toHexString(type) + " overruns the header");
            }
            switch (type) {
                case TLV_AUTHORITY -> {
                    if (authority != null) {
                        return fail("AUTHORITY twice");
                    }
                    authority = name(v, len);
                    if (authority == null) {
                        return fail("AUTHORITY is not a printable ASCII name of 1.." + MAX_NAME + " bytes");
                    }
                }
                case TLV_ALPN -> {
                    if (sawAlpn) {
                        return fail("ALPN twice");
                    }
                    sawAlpn = true;
                    List<String> a = alpnList(v, len);
                    if (a == null) {
                        return fail("ALPN is not a comma-separated list of printable ASCII protocols");
                    }
                    alpn = a;
                }
                case ProxyHeader.TLV_POP -> {
                    if (pop != null) {
                        return fail("PoP TLV twice");
                    }
                    pop = name(v, len);
                    if (pop == null) {
                        return fail("PoP TLV is not a printable ASCII name of 1.." + MAX_NAME + " bytes");
                    }
                }
                case ProxyHeader.TLV_INGRESS_POP -> {
                    if (ingress != null) {
                        return fail("ingress PoP TLV twice");
                    }
                    ingress = name(v, len);
                    if (ingress == null) {
                        return fail("ingress PoP TLV is not a printable ASCII name of 1.." + MAX_NAME + " bytes");
                    }
                }
                default -> {
                    // not ours: skipped
                }
            }
            p = v + len;
        }
        header = new Header(command, src, dst, authority, alpn, pop, ingress, total);
        status = Status.DONE;
        return status;
    }

    private static InetSocketAddress address(byte[] b, int off, int ipLen, int portOff) {
        try {
            InetAddress a = InetAddress.getByAddress(Arrays.copyOfRange(b, off, off + ipLen));
            int port = ((b[portOff] & 0xff) << 8) | (b[portOff + 1] & 0xff);
            return new InetSocketAddress(a, port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    private @Nullable String name(int off, int len) {
        if (len < 1 || len > MAX_NAME || !printable(off, len)) {
            return null;
        }
        return new String(body, off, len, StandardCharsets.US_ASCII);
    }

    private @Nullable List<String> alpnList(int off, int len) {
        if (len < 1 || !printable(off, len)) {
            return null;
        }
        List<String> out = new ArrayList<>(2);
        int start = off;
        for (int i = off; i <= off + len; i++) {
            if (i == off + len || body[i] == ',') {
                if (i == start) {
                    return null;
                }
                out.add(new String(body, start, i - start, StandardCharsets.US_ASCII));
                start = i + 1;
            }
        }
        return out;
    }

    private boolean printable(int off, int len) {
        for (int i = off; i < off + len; i++) {
            int c = body[i];
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private Status fail(String why) {
        status = Status.MALFORMED;
        problem = why;
        return status;
    }

    public Status status() {
        return status;
    }

    /** The decoded header once {@link Status#DONE}, else null. */
    public @Nullable Header header() {
        return header;
    }

    /** Why the header was refused ({@link Status#MALFORMED} or {@link Status#TOO_BIG}), else null. */
    public @Nullable String problem() {
        return problem;
    }

    /** How many bytes of the chunk last fed the header took (the rest are the payload's). */
    public int usedOfLast() {
        return usedOfLast;
    }

    /** How many bytes the parser holds now (never more than the bound). */
    public int buffered() {
        return filled;
    }

    public int maxHeader() {
        return maxHeader;
    }
}
