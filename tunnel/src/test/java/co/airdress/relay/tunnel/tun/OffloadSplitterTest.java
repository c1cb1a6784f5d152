package co.airdress.relay.tunnel.tun;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link OffloadSplitter} against hand-built virtio-net reads. Checksums are verified with a
 * separate, deliberately naive 16-bit implementation (the splitter sums 32-bit words), plus a
 * published IPv4 header checksum. The kernel verifies them too on the far side of every
 * {@code device.*} interop test, which runs with offload on.
 */
class OffloadSplitterTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] V4_SRC = {100, 96, 0, 1};
    private static final byte[] V4_DST = {100, 96, 0, 10};
    private static final byte[] V6_SRC = HEX.parseHex("fd000a1d000000000000000000000001");
    private static final byte[] V6_DST = HEX.parseHex("fd000a1d00000000000000000000000a");

    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    private static final int FIN = 0x01;
    private static final int CWR = 0x80;

    private final OffloadSplitter splitter = new OffloadSplitter(65535);

    @Test
    void publishedIpv4HeaderChecksum() {
        // The IPv4 header example of Wikipedia's "Internet checksum" article: checksum b861.
        byte[] header = HEX.parseHex("450000730000400040110000c0a80001c0a800c7");
        assertThat(~OffloadSplitter.fold(OffloadSplitter.sum(header, 0, header.length, 0)) & 0xffff)
                .isEqualTo(0xb861);
        assertThat(naiveSum(header, 0, header.length, 0)).isEqualTo(0xffff - 0xb861);
    }

    @Test
    void splitsIpv4TcpSuperPacketIntoSegments() {
        byte[] payload = pattern(3000);
        byte[] packet = tcp4(payload, 0x12345678L, ACK | PSH | FIN | CWR, 0x4242, 12);
        List<byte[]> out =
                split(vnet(OffloadSplitter.F_NEEDS_CSUM, OffloadSplitter.GSO_TCPV4, 1000, 20, 16), packet, 3);

        for (int i = 0; i < 3; i++) {
            byte[] s = out.get(i);
            assertThat(s).hasSize(20 + 32 + 1000);
            assertThat(be16(s, 2)).as("total length").isEqualTo(s.length);
            assertThat(be16(s, 4)).as("identification").isEqualTo(0x4242 + i);
            assertThat(naiveSum(s, 0, 20, 0))
                    .as("IPv4 header checksum verifies")
                    .isEqualTo(0xffff);
            assertThat(be32(s, 24)).as("sequence").isEqualTo(0x12345678L + 1000L * i);
            assertThat(tcpChecksumOk(s, true))
                    .as("TCP checksum of segment " + i)
                    .isTrue();
            assertThat(Arrays.copyOfRange(s, 52, s.length))
                    .isEqualTo(Arrays.copyOfRange(payload, 1000 * i, 1000 * (i + 1)));
            // The options after the fixed TCP header are copied unchanged into every segment.
            assertThat(Arrays.copyOfRange(s, 40, 52)).isEqualTo(Arrays.copyOfRange(packet, 40, 52));
        }
        assertThat(out.get(0)[33] & 0xff).as("first: CWR kept, no FIN/PSH").isEqualTo(ACK | CWR);
        assertThat(out.get(1)[33] & 0xff).as("middle: ACK only").isEqualTo(ACK);
        assertThat(out.get(2)[33] & 0xff).as("last: FIN and PSH").isEqualTo(ACK | PSH | FIN);
    }

    @Test
    void splitsIpv6TcpSuperPacketWithShortLastSegment() {
        byte[] payload = pattern(2500);
        byte[] packet = tcp6(payload, 0xfffffe00L, ACK | PSH);
        List<byte[]> out =
                split(vnet(OffloadSplitter.F_NEEDS_CSUM, OffloadSplitter.GSO_TCPV6, 1000, 60, 16), packet, 3);

        int[] sizes = {1000, 1000, 500};
        for (int i = 0; i < 3; i++) {
            byte[] s = out.get(i);
            assertThat(s).hasSize(60 + sizes[i]);
            assertThat(be16(s, 4)).as("payload length").isEqualTo(20 + sizes[i]);
            // The sequence number wraps around 2^32 in the second segment.
            assertThat(be32(s, 44)).isEqualTo((0xfffffe00L + 1000L * i) & 0xffffffffL);
            assertThat(tcpChecksumOk(s, false))
                    .as("TCP checksum of segment " + i)
                    .isTrue();
            assertThat(Arrays.copyOfRange(s, 60, s.length))
                    .isEqualTo(Arrays.copyOfRange(payload, 1000 * i, 1000 * i + sizes[i]));
            assertThat(Arrays.copyOfRange(s, 0, 4))
                    .as("version, class, flow label")
                    .isEqualTo(Arrays.copyOfRange(packet, 0, 4));
        }
        assertThat(out.get(0)[53] & 0xff).isEqualTo(ACK);
        assertThat(out.get(2)[53] & 0xff).isEqualTo(ACK | PSH);
    }

    @Test
    void superPacketNoLargerThanOneSegmentStaysOnePacket() {
        byte[] packet = tcp4(pattern(700), 7, ACK | PSH, 9, 0);
        List<byte[]> out =
                split(vnet(OffloadSplitter.F_NEEDS_CSUM, OffloadSplitter.GSO_TCPV4, 1000, 20, 16), packet, 1);

        assertThat(out.get(0)).hasSize(packet.length);
        assertThat(out.get(0)[33] & 0xff).isEqualTo(ACK | PSH);
        assertThat(tcpChecksumOk(out.get(0), true)).isTrue();
    }

    @Test
    void completesPartialUdpChecksumOverIpv6() {
        byte[] packet = udp6(pattern(333));
        // As the kernel leaves it: the checksum field holds the folded pseudo-header sum, not complemented.
        int udpLength = packet.length - 40;
        int pseudo = OffloadSplitter.fold(naivePseudo(packet, false, 17, udpLength));
        put16(packet, 46, pseudo);
        List<byte[]> out = split(vnet(OffloadSplitter.F_NEEDS_CSUM, OffloadSplitter.GSO_NONE, 0, 40, 6), packet, 1);

        byte[] s = out.get(0);
        assertThat(naiveSum(s, 40, udpLength, naivePseudo(s, false, 17, udpLength)))
                .isEqualTo(0xffff);
        assertThat(Arrays.copyOfRange(s, 48, s.length)).isEqualTo(Arrays.copyOfRange(packet, 48, packet.length));
    }

    @Test
    void completesPartialTcpChecksumOverIpv4() {
        byte[] packet = tcp4(pattern(101), 1, ACK, 1, 0);
        int tcpLength = packet.length - 20;
        put16(packet, 36, OffloadSplitter.fold(naivePseudo(packet, true, 6, tcpLength)));
        List<byte[]> out = split(vnet(OffloadSplitter.F_NEEDS_CSUM, OffloadSplitter.GSO_NONE, 0, 20, 16), packet, 1);

        assertThat(tcpChecksumOk(out.get(0), true)).isTrue();
    }

    @Test
    void passesPlainPacketsThroughUnchanged() {
        byte[] packet = tcp4(pattern(50), 1, ACK, 1, 0);
        byte[] copy = packet.clone();
        List<byte[]> out = split(vnet(0, OffloadSplitter.GSO_NONE, 0, 0, 0), packet, 1);

        assertThat(out.get(0)).isEqualTo(copy);
    }

    @Test
    void refusesWhatWasNotOfferedOrDoesNotParse() {
        byte[] tcp = tcp4(pattern(3000), 1, ACK, 1, 0);
        // UDP segmentation (type 3) was not enabled.
        assertThat(count(vnet(1, 3, 1000, 20, 6), tcp)).isZero();
        // TCPv4 segmentation of something that is not TCP.
        byte[] udp = tcp.clone();
        udp[9] = 17;
        assertThat(count(vnet(1, OffloadSplitter.GSO_TCPV4, 1000, 20, 16), udp)).isZero();
        // IPv6 segmentation of an IPv4 packet.
        assertThat(count(vnet(1, OffloadSplitter.GSO_TCPV6, 1000, 20, 16), tcp)).isZero();
        // A TCP data offset pointing past the packet.
        byte[] truncated = Arrays.copyOf(tcp, 44);
        truncated[32] = (byte) 0xf0;
        assertThat(count(vnet(1, OffloadSplitter.GSO_TCPV4, 1000, 20, 16), truncated))
                .isZero();
        // A checksum field beyond the end.
        assertThat(count(vnet(1, OffloadSplitter.GSO_NONE, 0, 20, 200), Arrays.copyOf(tcp, 60)))
                .isZero();
        // Shorter than a virtio-net header plus an IPv4 header.
        assertThat(splitter.split(new byte[25], 0, 25, (b, o, l) -> {})).isZero();
        // A gso_size of zero.
        assertThat(count(vnet(1, OffloadSplitter.GSO_TCPV4, 0, 20, 16), tcp)).isZero();
    }

    @Test
    void splitsAtAnOffsetInsideALargerBuffer() {
        byte[] packet = tcp4(pattern(2000), 5, ACK, 3, 0);
        byte[] read = concat(vnet(1, OffloadSplitter.GSO_TCPV4, 1000, 20, 16), packet);
        byte[] buffer = new byte[read.length + 100];
        System.arraycopy(read, 0, buffer, 37, read.length);
        List<byte[]> out = new ArrayList<>();
        int n = splitter.split(buffer, 37, read.length, (b, o, l) -> out.add(Arrays.copyOfRange(b, o, o + l)));

        assertThat(n).isEqualTo(2);
        assertThat(out).allSatisfy(s -> assertThat(tcpChecksumOk(s, true)).isTrue());
    }

    // ---- helpers

    private List<byte[]> split(byte[] vnet, byte[] packet, int expected) {
        List<byte[]> out = new ArrayList<>();
        byte[] read = concat(vnet, packet);
        int n = splitter.split(read, 0, read.length, (b, o, l) -> out.add(Arrays.copyOfRange(b, o, o + l)));
        assertThat(n).isEqualTo(expected);
        assertThat(out).hasSize(expected);
        return out;
    }

    private int count(byte[] vnet, byte[] packet) {
        byte[] read = concat(vnet, packet);
        return splitter.split(read, 0, read.length, (b, o, l) -> {});
    }

    private static byte[] vnet(int flags, int gsoType, int gsoSize, int csumStart, int csumOffset) {
        byte[] h = new byte[10];
        h[0] = (byte) flags;
        h[1] = (byte) gsoType;
        h[4] = (byte) gsoSize;
        h[5] = (byte) (gsoSize >>> 8);
        h[6] = (byte) csumStart;
        h[7] = (byte) (csumStart >>> 8);
        h[8] = (byte) csumOffset;
        h[9] = (byte) (csumOffset >>> 8);
        return h;
    }

    /** IPv4 + TCP with {@code options} bytes of TCP options (NOPs and a timestamp-like filler). */
    private static byte[] tcp4(byte[] payload, long seq, int flags, int id, int options) {
        int tcpLength = 20 + options;
        byte[] p = new byte[20 + tcpLength + payload.length];
        p[0] = 0x45;
        put16(p, 2, Math.min(0xffff, p.length));
        put16(p, 4, id);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = 6;
        System.arraycopy(V4_SRC, 0, p, 12, 4);
        System.arraycopy(V4_DST, 0, p, 16, 4);
        tcpHeader(p, 20, seq, flags, tcpLength);
        System.arraycopy(payload, 0, p, 20 + tcpLength, payload.length);
        return p;
    }

    private static byte[] tcp6(byte[] payload, long seq, int flags) {
        byte[] p = v6(6, 20 + payload.length);
        p[1] = 0x0a; // traffic class / flow label bits, to see them copied
        p[2] = (byte) 0xbc;
        p[3] = 0x12;
        tcpHeader(p, 40, seq, flags, 20);
        System.arraycopy(payload, 0, p, 60, payload.length);
        return p;
    }

    /** An IPv6 packet with its fixed header written: next header, payload length, hop limit 64. */
    private static byte[] v6(int nextHeader, int payloadLength) {
        byte[] p = new byte[40 + payloadLength];
        p[0] = 0x60;
        put16(p, 4, payloadLength);
        p[6] = (byte) nextHeader;
        p[7] = 64;
        System.arraycopy(V6_SRC, 0, p, 8, 16);
        System.arraycopy(V6_DST, 0, p, 24, 16);
        return p;
    }

    private static byte[] udp6(byte[] payload) {
        byte[] p = v6(17, 8 + payload.length);
        put16(p, 40, 40000);
        put16(p, 42, 53);
        put16(p, 44, 8 + payload.length);
        System.arraycopy(payload, 0, p, 48, payload.length);
        return p;
    }

    private static void tcpHeader(byte[] p, int at, long seq, int flags, int length) {
        put16(p, at, 80);
        put16(p, at + 2, 43210);
        p[at + 4] = (byte) (seq >>> 24);
        p[at + 5] = (byte) (seq >>> 16);
        p[at + 6] = (byte) (seq >>> 8);
        p[at + 7] = (byte) seq;
        p[at + 11] = 0x55; // ack number
        p[at + 12] = (byte) ((length / 4) << 4);
        p[at + 13] = (byte) flags;
        put16(p, at + 14, 0xfaf0);
        put16(p, at + 16, 0xdead); // whatever the kernel left there: recomputed for every segment
        for (int i = at + 20; i < at + length; i++) {
            p[i] = (byte) (i % 3 == 0 ? 1 : 0x5a);
        }
    }

    private static boolean tcpChecksumOk(byte[] s, boolean v4) {
        int ip = v4 ? (s[0] & 0x0f) * 4 : 40;
        int length = s.length - ip;
        return naiveSum(s, ip, length, naivePseudo(s, v4, 6, length)) == 0xffff;
    }

    /** Pseudo-header sum (RFC 793 / RFC 8200 §8.1), 16 bits at a time, not folded. */
    private static long naivePseudo(byte[] s, boolean v4, int protocol, int length) {
        long sum = 0;
        int from = v4 ? 12 : 8;
        int to = v4 ? 20 : 40;
        for (int i = from; i < to; i += 2) {
            sum += be16(s, i);
        }
        return sum + protocol + length;
    }

    /** One's complement sum, one 16-bit word at a time, folded. */
    private static int naiveSum(byte[] b, int offset, int length, long initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int hi = b[offset + i] & 0xff;
            int lo = i + 1 < length ? b[offset + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int be16(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    private static long be32(byte[] b, int i) {
        return ((long) be16(b, i) << 16) | be16(b, i + 2);
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }
}
