package co.airdress.relay.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.proxy.ProxyV2Decoder.Command;
import co.airdress.relay.proxy.ProxyV2Decoder.Header;
import co.airdress.relay.proxy.ProxyV2Decoder.Status;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyV2DecoderTest {

    private static final byte[] PAYLOAD = {0x16, 0x03, 0x01, 0x00, 0x05};

    private static byte[] withPayload(byte[] header) {
        byte[] out = Arrays.copyOf(header, header.length + PAYLOAD.length);
        System.arraycopy(PAYLOAD, 0, out, header.length, PAYLOAD.length);
        return out;
    }

    @Test
    void decodesWhatTheRelayWritesOnTheBackhaul() {
        byte[] wire = ProxyV2Wire.backhaulHeader();
        ProxyV2Decoder d = new ProxyV2Decoder(512);
        assertThat(ProxyV2Wire.feed(d, wire, 0, wire.length)).isEqualTo(Status.DONE);
        Header h = d.header();
        assertThat(h).isNotNull();
        assertThat(h.command()).isEqualTo(Command.PROXY);
        assertThat(h.source()).isEqualTo(new InetSocketAddress("198.51.100.7", 40123));
        assertThat(h.destination()).isEqualTo(new InetSocketAddress("192.0.2.1", 443));
        assertThat(h.authority()).isEqualTo("demo.example.test");
        assertThat(h.alpn()).containsExactly("h2", "http/1.1");
        assertThat(h.pop()).isNull();
        assertThat(h.ingressPop()).isEqualTo("pop1");
        assertThat(h.length()).isEqualTo(wire.length);
        assertThat(d.usedOfLast()).isEqualTo(wire.length);
    }

    @Test
    void decodesIpv6AndBothPopTlvs() {
        byte[] wire = ProxyV2Wire.header(
                new InetSocketAddress("2001:db8::7", 5555),
                new InetSocketAddress("2001:db8::1", 80),
                "a.example.test",
                List.of(),
                "pop2",
                "pop1");
        ProxyV2Decoder d = new ProxyV2Decoder(ProxyV2Decoder.MAX_POSSIBLE);
        assertThat(ProxyV2Wire.feed(d, wire, 0, wire.length)).isEqualTo(Status.DONE);
        Header h = d.header();
        assertThat(h.source()).isEqualTo(new InetSocketAddress("2001:db8::7", 5555));
        assertThat(h.destination()).isEqualTo(new InetSocketAddress("2001:db8::1", 80));
        assertThat(h.alpn()).isEmpty();
        assertThat(h.pop()).isEqualTo("pop2");
        assertThat(h.ingressPop()).isEqualTo("pop1");
    }

    @Test
    void everySplitPointGivesTheSameHeaderAndLeavesThePayload() {
        byte[] header = ProxyV2Wire.backhaulHeader();
        byte[] wire = withPayload(header);
        ProxyV2Decoder whole = new ProxyV2Decoder(512);
        ProxyV2Wire.feed(whole, wire, 0, wire.length);
        assertThat(whole.usedOfLast()).isEqualTo(header.length);
        for (int split = 0; split <= wire.length; split++) {
            ProxyV2Decoder d = new ProxyV2Decoder(512);
            Status first = ProxyV2Wire.feed(d, wire, 0, split);
            int used = d.usedOfLast();
            if (first == Status.NEED_MORE) {
                assertThat(ProxyV2Wire.feed(d, wire, split, wire.length - split))
                        .isEqualTo(Status.DONE);
                used += d.usedOfLast();
            }
            assertThat(d.status()).as("split %d", split).isEqualTo(Status.DONE);
            assertThat(used).as("split %d", split).isEqualTo(header.length);
            assertThat(d.header()).as("split %d", split).isEqualTo(whole.header());
            assertThat(d.buffered()).isLessThanOrEqualTo(512);
        }
    }

    @Test
    void byteByByteAndTwoSplitPoints() {
        byte[] wire = withPayload(ProxyV2Wire.backhaulHeader());
        ProxyV2Decoder one = new ProxyV2Decoder(512);
        assertThat(ProxyV2Wire.feedInChunks(one, wire, 1)).isEqualTo(wire.length - PAYLOAD.length);
        assertThat(one.status()).isEqualTo(Status.DONE);
        for (int a = 0; a <= wire.length; a++) {
            for (int b = a; b <= wire.length; b++) {
                ProxyV2Decoder d = new ProxyV2Decoder(512);
                ProxyV2Wire.feed(d, wire, 0, a);
                ProxyV2Wire.feed(d, wire, a, b - a);
                ProxyV2Wire.feed(d, wire, b, wire.length - b);
                assertThat(d.header()).as("splits %d %d", a, b).isEqualTo(one.header());
            }
        }
    }

    @Test
    void aDecidedDecoderConsumesNothingMore() {
        byte[] wire = ProxyV2Wire.backhaulHeader();
        ProxyV2Decoder d = new ProxyV2Decoder(512);
        ProxyV2Wire.feed(d, wire, 0, wire.length);
        assertThat(ProxyV2Wire.feed(d, PAYLOAD, 0, PAYLOAD.length)).isEqualTo(Status.DONE);
        assertThat(d.usedOfLast()).isZero();
    }

    @Test
    void aWrongSignatureByteIsRefusedAtOnce() {
        byte[] http = "GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ProxyV2Decoder d = new ProxyV2Decoder(512);
        assertThat(ProxyV2Wire.feed(d, http, 0, 1)).isEqualTo(Status.MALFORMED);
        assertThat(d.problem()).contains("signature");
        byte[] wire = ProxyV2Wire.backhaulHeader();
        for (int i = 0; i < 12; i++) {
            byte[] bad = wire.clone();
            bad[i] ^= 0x20;
            ProxyV2Decoder e = new ProxyV2Decoder(512);
            assertThat(ProxyV2Wire.feedInChunks(e, bad, 1)).isEqualTo(i + 1);
            assertThat(e.status()).isEqualTo(Status.MALFORMED);
        }
    }

    @Test
    void aHeaderOverTheBoundIsRefusedFromItsLength() {
        byte[] wire = ProxyV2Wire.backhaulHeader();
        ProxyV2Decoder d = new ProxyV2Decoder(wire.length - 1);
        assertThat(ProxyV2Wire.feedInChunks(d, wire, 3)).isLessThanOrEqualTo(ProxyV2Decoder.FIXED + 2);
        assertThat(d.status()).isEqualTo(Status.TOO_BIG);
        assertThat(d.buffered()).isEqualTo(ProxyV2Decoder.FIXED);
        ProxyV2Decoder exact = new ProxyV2Decoder(wire.length);
        ProxyV2Wire.feed(exact, wire, 0, wire.length);
        assertThat(exact.status()).isEqualTo(Status.DONE);
    }

    @Test
    void strictAboutVersionCommandFamilyAndLengths() {
        byte[] wire = ProxyV2Wire.backhaulHeader();
        assertMalformed(set(wire, 12, 0x11), "version");
        assertMalformed(set(wire, 12, 0x22), "command");
        assertMalformed(set(wire, 13, 0x12), "family"); // UDP
        assertMalformed(set(wire, 13, 0x31), "family"); // UNIX
        assertMalformed(set(set(wire, 14, 0), 15, 11), "address block");
        // one byte more in the length: the last TLV no longer fills the rest
        byte[] longer = Arrays.copyOf(wire, wire.length + 1);
        int len = ((wire[14] & 0xff) << 8 | (wire[15] & 0xff)) + 1;
        longer[14] = (byte) (len >> 8);
        longer[15] = (byte) len;
        assertMalformed(longer, "TLV");
        // a TLV whose length overruns the header
        byte[] overrun = wire.clone();
        overrun[16 + 12 + 2] = 0x7f;
        assertMalformed(overrun, "overruns");
    }

    @Test
    void localCommandHasNoAddresses() {
        byte[] local = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0, 0};
        ProxyV2Decoder d = new ProxyV2Decoder(16);
        assertThat(ProxyV2Wire.feed(d, local, 0, local.length)).isEqualTo(Status.DONE);
        assertThat(d.header().command()).isEqualTo(Command.LOCAL);
        assertThat(d.header().source()).isNull();
    }

    @Test
    void tlvsOfOursMustBeNamesAndAppearOnce() {
        byte[] base = ProxyV2Wire.header(
                new InetSocketAddress("198.51.100.7", 1),
                new InetSocketAddress("192.0.2.1", 443),
                "a.example.test",
                List.of(),
                null,
                null);
        assertMalformed(appendTlv(base, 0x02, "b.example.test"), "AUTHORITY twice");
        assertMalformed(appendTlv(base, 0xE1, ""), "ingress");
        assertMalformed(appendTlv(base, 0xE1, "po p"), "ingress");
        assertMalformed(appendTlv(appendTlv(base, 0xE0, "p"), 0xE0, "q"), "twice");
        assertMalformed(appendTlv(base, 0x01, "h2,,x"), "ALPN");
        ProxyV2Decoder d = new ProxyV2Decoder(512);
        byte[] unknown = appendTlv(base, 0xEE, "anything \u0001");
        ProxyV2Wire.feed(d, unknown, 0, unknown.length);
        assertThat(d.status()).isEqualTo(Status.DONE);
    }

    @Test
    void theBoundIsChecked() {
        assertThatThrownBy(() -> new ProxyV2Decoder(15)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProxyV2Decoder(ProxyV2Decoder.MAX_POSSIBLE + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] set(byte[] wire, int index, int value) {
        byte[] out = wire.clone();
        out[index] = (byte) value;
        return out;
    }

    static byte[] appendTlv(byte[] wire, int type, String value) {
        byte[] v = value.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] out = Arrays.copyOf(wire, wire.length + 3 + v.length);
        out[wire.length] = (byte) type;
        out[wire.length + 1] = (byte) (v.length >> 8);
        out[wire.length + 2] = (byte) v.length;
        System.arraycopy(v, 0, out, wire.length + 3, v.length);
        int len = ((wire[14] & 0xff) << 8 | (wire[15] & 0xff)) + 3 + v.length;
        out[14] = (byte) (len >> 8);
        out[15] = (byte) len;
        return out;
    }

    private static void assertMalformed(byte[] wire, String problem) {
        for (int chunk : new int[] {1, 7, wire.length}) {
            ProxyV2Decoder d = new ProxyV2Decoder(ProxyV2Decoder.MAX_POSSIBLE);
            ProxyV2Wire.feedInChunks(d, wire, chunk);
            assertThat(d.status()).isEqualTo(Status.MALFORMED);
            assertThat(d.problem()).contains(problem);
        }
    }
}
