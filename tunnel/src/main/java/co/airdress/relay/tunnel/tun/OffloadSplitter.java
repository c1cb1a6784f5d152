package co.airdress.relay.tunnel.tun;

import static java.util.Objects.requireNonNull;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Turns what a TUN device with {@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD}
 * ({@code TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6}) hands over into ordinary IP packets, as a NIC
 * would on the wire:
 *
 * <ul>
 *   <li>a TCP "super-packet" (GSO type TCPv4/TCPv6, up to 64 KB) is cut into segments of
 *       {@code gso_size} payload bytes, each with its own IPv4 total length, identification and
 *       header checksum (or IPv6 payload length), TCP sequence number and full TCP checksum;
 *       FIN and PSH stay only on the last segment, CWR only on the first;</li>
 *   <li>a packet marked {@code NEEDS_CSUM} (checksum left to the device) gets its checksum
 *       completed from {@code csum_start} to the end, the field holding the pseudo-header sum.</li>
 * </ul>
 *
 * <p>Sans-IO: byte arrays in, packets out through a {@link Sink}, no allocation. The TCP checksum
 * of each segment is computed from scratch (pseudo-header plus segment), not derived from the
 * kernel's partial sum. Not thread-safe: one instance per reading thread.
 */
public final class OffloadSplitter {

    /** {@code struct virtio_net_hdr} (without {@code num_buffers}), little-endian on Linux/x86 and arm. */
    public static final int HEADER_LENGTH = TunDevice.VNET_HDR_LENGTH;

    static final int F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_TCPV6 = 4;
    static final int GSO_ECN = 0x80;

    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;
    private static final int PROTO_TCP = 6;

    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    /** Receives each packet; the array is reused after {@code accept} returns. */
    @FunctionalInterface
    public interface Sink {
        void accept(byte[] packet, int offset, int length);
    }

    private final byte[] segment;

    /** @param maxSegment the largest packet this splitter will emit (headers plus {@code gso_size}) */
    public OffloadSplitter(int maxSegment) {
        if (maxSegment < 60 || maxSegment > 65535) {
            throw new IllegalArgumentException("maxSegment: " + maxSegment + " (expected: 60..65535)");
        }
        this.segment = new byte[maxSegment];
    }

    /** The array segments are written to (valid only inside {@link Sink#accept}). */
    public byte[] output() {
        return segment;
    }

    /**
     * Splits one read: {@value #HEADER_LENGTH} bytes of virtio-net header at {@code offset}, then the
     * packet. May modify the packet bytes in place.
     *
     * @return the number of packets given to {@code sink}; 0 when the read was malformed or of a
     *     kind that was not offered (UDP segmentation, IP options the kernel would not produce...)
     */
    public int split(byte[] buffer, int offset, int length, Sink sink) {
        requireNonNull(buffer, "buffer");
        requireNonNull(sink, "sink");
        if (length < HEADER_LENGTH + 20 || offset < 0 || offset + length > buffer.length) {
            return 0;
        }
        int flags = buffer[offset] & 0xff;
        int gsoType = buffer[offset + 1] & 0xff;
        int gsoSize = le16(buffer, offset + 4);
        int csumStart = le16(buffer, offset + 6);
        int csumOffset = le16(buffer, offset + 8);
        int p = offset + HEADER_LENGTH;
        int n = length - HEADER_LENGTH;
        if (gsoType == GSO_NONE) {
            if ((flags & F_NEEDS_CSUM) != 0) {
                int field = csumStart + csumOffset;
                if (csumStart >= n || field + 2 > n) {
                    return 0;
                }
                int sum = fold(sum(buffer, p + csumStart, n - csumStart, 0));
                int checksum = ~sum & 0xffff;
                // As the kernel does (CSUM_MANGLED_0): 0 means "no checksum" for UDP over IPv4.
                put16(buffer, p + field, checksum == 0 ? 0xffff : checksum);
            }
            sink.accept(buffer, p, n);
            return 1;
        }
        int type = gsoType & ~GSO_ECN;
        if (type != GSO_TCPV4 && type != GSO_TCPV6) {
            return 0;
        }
        return splitTcp(buffer, p, n, type == GSO_TCPV4, gsoSize, sink);
    }

    private int splitTcp(byte[] in, int p, int n, boolean v4, int gsoSize, Sink sink) {
        int version = (in[p] & 0xff) >>> 4;
        int ipHeader;
        if (v4) {
            ipHeader = (in[p] & 0x0f) * 4;
            if (version != 4 || ipHeader < 20 || (in[p + 9] & 0xff) != PROTO_TCP) {
                return 0;
            }
        } else {
            ipHeader = 40;
            if (version != 6 || n < 40 || (in[p + 6] & 0xff) != PROTO_TCP) {
                return 0;
            }
        }
        if (ipHeader + 20 > n) {
            return 0;
        }
        int tcp = p + ipHeader;
        int tcpHeader = ((in[tcp + 12] & 0xff) >>> 4) * 4;
        int headers = ipHeader + tcpHeader;
        if (tcpHeader < 20 || headers > n || gsoSize < 1 || headers + Math.min(gsoSize, n - headers) > segment.length) {
            return 0;
        }
        int payload = n - headers;
        long seq = Integer.toUnsignedLong((int) INT_BE.get(in, tcp + 4));
        int tcpFlags = in[tcp + 13] & 0xff;
        int ipId = v4 ? be16(in, p + 4) : 0;
        byte[] out = segment;
        int count = 0;
        int at = 0;
        do {
            int size = Math.min(gsoSize, payload - at);
            boolean first = at == 0;
            boolean last = at + size >= payload;
            System.arraycopy(in, p, out, 0, headers);
            System.arraycopy(in, p + headers + at, out, headers, size);
            int total = headers + size;
            if (v4) {
                put16(out, 2, total);
                put16(out, 4, (ipId + count) & 0xffff);
                put16(out, 10, 0);
                put16(out, 10, ~fold(sum(out, 0, ipHeader, 0)) & 0xffff);
            } else {
                put16(out, 4, total - 40);
            }
            INT_BE.set(out, ipHeader + 4, (int) (seq + at));
            int f = tcpFlags;
            if (!last) {
                f &= ~(TCP_FIN | TCP_PSH);
            }
            if (!first) {
                f &= ~TCP_CWR;
            }
            out[ipHeader + 13] = (byte) f;
            put16(out, ipHeader + 16, 0);
            long pseudo = v4 ? sum(out, 12, 8, 0) : sum(out, 8, 32, 0);
            pseudo += PROTO_TCP + (total - ipHeader);
            put16(out, ipHeader + 16, ~fold(sum(out, ipHeader, total - ipHeader, pseudo)) & 0xffff);
            sink.accept(out, 0, total);
            count++;
            at += size;
        } while (at < payload);
        return count;
    }

    /**
     * Adds {@code length} bytes as big-endian 16-bit words (an odd last byte padded with zero) to
     * {@code initial}, four bytes at a time: the one's complement sum of 32-bit words folds to the
     * same 16-bit sum.
     */
    static long sum(byte[] b, int offset, int length, long initial) {
        long s = initial;
        int i = offset;
        int end = offset + length;
        for (; i + 4 <= end; i += 4) {
            s += Integer.toUnsignedLong((int) INT_BE.get(b, i));
        }
        if (i + 2 <= end) {
            s += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
            i += 2;
        }
        if (i < end) {
            s += (b[i] & 0xff) << 8;
        }
        return s;
    }

    /** Folds a sum of 16/32-bit words into 16 bits with end-around carry. */
    static int fold(long sum) {
        long s = sum;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static int le16(byte[] b, int i) {
        return (b[i] & 0xff) | ((b[i + 1] & 0xff) << 8);
    }

    private static int be16(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }
}
