package co.airdress.relay.sni;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer targets for both peeks. In the normal test run they replay the regression inputs under
 * {@code src/test/resources/co/airdress/relay/sni/PeekFuzzTestInputs/<method>/}; with
 * {@code JAZZER_FUZZ=1} they fuzz (see sni-parser/README.md). Properties checked on every input:
 * nothing throws, the outcome does not depend on how the bytes are chunked (nor, for TLS and without
 * the byte bound, on how the handshake is cut into records), the byte bound refuses exactly what
 * is not decided within it, a final status is sticky, and a FOUND host obeys our rules.
 */
class PeekFuzzTest {

    private static final int SMALL_CAP = 512;

    @FuzzTest(maxDuration = "2m")
    void clientHello(FuzzedDataProvider data) {
        int chunk = data.consumeInt(1, 97);
        int recordSize = data.consumeInt(1, 16384);
        boolean asHandshake = data.consumeBoolean();
        byte[] bytes = data.consumeRemainingAsBytes();
        // Either raw wire bytes, or handshake bytes that we frame into records so that the fuzzer
        // does not have to learn the record layer first.
        byte[] wire = asHandshake ? HelloBuilder.records(bytes, recordSize) : bytes;

        ClientHelloPeek whole = new ClientHelloPeek();
        Feeding.feedOne(wire, 0, wire.length, whole::feed);
        Outcomes.HelloOutcome expected = Outcomes.of(whole);

        ClientHelloPeek chunked = new ClientHelloPeek();
        Feeding.feedInChunks(wire, chunk, chunked::feed, ClientHelloPeek.Status.NEED_MORE);
        assertThat(Outcomes.of(chunked)).isEqualTo(expected);
        assertThat(expected).isEqualTo(Outcomes.within(wire, ClientHelloPeek.DEFAULT_MAX_BYTES));

        // A small cap puts the byte bound within reach of the short inputs the fuzzer keeps.
        ClientHelloPeek small = new ClientHelloPeek(SMALL_CAP);
        Feeding.feedOne(wire, 0, wire.length, small::feed);
        Outcomes.HelloOutcome smallExpected = Outcomes.of(small);
        assertThat(smallExpected).isEqualTo(Outcomes.within(wire, SMALL_CAP, ClientHelloPeek.maxBytesFor(SMALL_CAP)));
        small.reset();
        Feeding.feedInChunks(wire, chunk, small::feed, ClientHelloPeek.Status.NEED_MORE);
        assertThat(Outcomes.of(small)).isEqualTo(smallExpected);

        if (asHandshake && wire.length > 0) {
            // The framing changes the bytes received, which the bound counts: compare without it.
            byte[] other = HelloBuilder.records(bytes, 1 + (recordSize * 31 + 7) % Math.max(1, bytes.length));
            assertThat(Outcomes.unbounded(other)).isEqualTo(Outcomes.unbounded(wire));
        }

        if (expected.status() != ClientHelloPeek.Status.NEED_MORE) {
            assertThat(Feeding.feedOne(wire, 0, wire.length, whole::feed)).isEqualTo(expected.status());
        }
        switch (expected.status()) {
            case FOUND -> assertRoutable(expected.host());
            case MALFORMED -> assertThat(expected.malformed()).isNotNull();
            default -> assertThat(expected.host()).isNull();
        }
        assertThat(expected.helloLength()).isBetween(0, 4 + 0xffffff);
    }

    @FuzzTest(maxDuration = "2m")
    void httpHead(FuzzedDataProvider data) {
        int chunk = data.consumeInt(1, 97);
        byte[] wire = data.consumeRemainingAsBytes();

        HttpHeadPeek whole = new HttpHeadPeek();
        Feeding.feedOne(wire, 0, wire.length, whole::feed);
        Outcomes.HeadOutcome expected = Outcomes.of(whole);

        HttpHeadPeek chunked = new HttpHeadPeek();
        Feeding.feedInChunks(wire, chunk, chunked::feed, HttpHeadPeek.Status.NEED_MORE);
        assertThat(Outcomes.of(chunked)).isEqualTo(expected);

        if (expected.status() != HttpHeadPeek.Status.NEED_MORE) {
            assertThat(Feeding.feedOne(wire, 0, wire.length, whole::feed)).isEqualTo(expected.status());
        }
        switch (expected.status()) {
            case FOUND -> {
                String host = expected.host();
                assertThat(host).isNotNull();
                if (!host.startsWith("[") && !isIpv4(host)) {
                    assertRoutable(host);
                }
            }
            case MALFORMED -> assertThat(expected.malformed()).isNotNull();
            default -> assertThat(expected.host()).isNull();
        }
        assertThat(expected.headLength()).isBetween(0, HttpHeadPeek.DEFAULT_MAX_HEAD_LENGTH);
    }

    private static void assertRoutable(String host) {
        assertThat(host)
                .isNotNull()
                .hasSizeBetween(1, 253)
                .matches("[a-z0-9.-]+")
                .doesNotEndWith(".");
        byte[] b = host.getBytes(StandardCharsets.US_ASCII);
        assertThat(HostnameRules.normalize(b, 0, b.length)).isEqualTo(b.length);
    }

    private static boolean isIpv4(String host) {
        byte[] b = host.getBytes(StandardCharsets.US_ASCII);
        return HostnameRules.isIpv4Literal(b, 0, b.length);
    }
}
