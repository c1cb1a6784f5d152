package co.airdress.relay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.proxy.ProxyV2Decoder.Status;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer target for {@link ProxyV2Decoder}. In the normal test run it replays the regression
 * inputs under {@code src/test/resources/co/airdress/relay/proxy/ProxyV2DecoderFuzzTestInputs/decode/};
 * with {@code JAZZER_FUZZ=1} it fuzzes. Properties checked on every input: nothing throws, the
 * outcome and the bytes taken do not depend on the chunking, the parser never holds more than the
 * bound, a decided status is sticky, and a header is taken exactly when DONE says so.
 */
class ProxyV2DecoderFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void decode(FuzzedDataProvider data) {
        int chunk = data.consumeInt(1, 97);
        int bound = data.consumeInt(ProxyV2Decoder.FIXED, 600);
        boolean framed = data.consumeBoolean();
        byte[] bytes = data.consumeRemainingAsBytes();
        // Either raw bytes, or a signature and fixed part around them so that the fuzzer starts
        // from valid framing and explores the address block and the TLVs.
        byte[] wire = framed ? frame(bytes) : bytes;

        ProxyV2Decoder whole = new ProxyV2Decoder(bound);
        ProxyV2Wire.feed(whole, wire, 0, wire.length);
        int wholeUsed = whole.usedOfLast();

        ProxyV2Decoder chunked = new ProxyV2Decoder(bound);
        int used = ProxyV2Wire.feedInChunks(chunked, wire, chunk);
        assertThat(chunked.status()).isEqualTo(whole.status());
        assertThat(chunked.header()).isEqualTo(whole.header());
        assertThat(chunked.problem()).isEqualTo(whole.problem());
        assertThat(used).isEqualTo(wholeUsed);
        assertThat(chunked.buffered()).isLessThanOrEqualTo(bound);

        Status s = whole.status();
        if (s != Status.NEED_MORE) {
            assertThat(ProxyV2Wire.feed(whole, wire, 0, wire.length)).isEqualTo(s);
            assertThat(whole.usedOfLast()).isZero();
        } else {
            assertThat(wholeUsed).isEqualTo(wire.length);
        }
        switch (s) {
            case DONE -> {
                assertThat(whole.header()).isNotNull();
                assertThat(whole.header().length()).isEqualTo(wholeUsed).isLessThanOrEqualTo(bound);
            }
            case MALFORMED, TOO_BIG -> assertThat(whole.problem()).isNotNull();
            case NEED_MORE -> assertThat(whole.header()).isNull();
        }
    }

    private static byte[] frame(byte[] rest) {
        int len = Math.min(rest.length, 0xffff);
        byte[] out = new byte[ProxyV2Decoder.FIXED + len];
        System.arraycopy(ProxyV2Decoder.SIGNATURE, 0, out, 0, 12);
        out[12] = 0x21;
        out[13] = (byte) (len > 0 && (rest[0] & 1) == 1 ? 0x21 : 0x11);
        out[14] = (byte) (len >> 8);
        out[15] = (byte) len;
        System.arraycopy(rest, 0, out, ProxyV2Decoder.FIXED, len);
        return out;
    }
}
