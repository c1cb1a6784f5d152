package co.airdress.relay.sni;

import static co.airdress.relay.sni.HelloBuilder.hello;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.sni.Fixtures.ClientHelloFixture;
import co.airdress.relay.sni.Fixtures.HttpHeadFixture;
import co.airdress.relay.sni.Outcomes.HeadOutcome;
import co.airdress.relay.sni.Outcomes.HelloOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every ClientHello and HTTP head (captured fixtures and synthetic ones with every outcome) must
 * decide identically when split at every byte boundary, fed one byte at a time, and (TLS)
 * re-framed into handshake records of every size from 1 byte up.
 */
class FragmentationTest {

    static List<Arguments> hellos() {
        List<Arguments> cases = new ArrayList<>();
        for (ClientHelloFixture f : Fixtures.clientHellos()) {
            cases.add(Arguments.of("fixture " + f.name(), f.bytes()));
        }
        cases.add(Arguments.of(
                "found with alpn and versions",
                hello().sni("a.example")
                        .alpn("h2", "http/1.1")
                        .supportedVersions(0x0304, 0x0303)
                        .bytes()));
        cases.add(Arguments.of("no sni", hello().alpn("acme-tls/1").bytes()));
        cases.add(Arguments.of("ech outer", hello().sni("public.example").ech().bytes()));
        cases.add(Arguments.of(
                "big padded hello over several records",
                HelloBuilder.records(hello().sni("big.example").padding(5000).handshake(), 1500)));
        cases.add(Arguments.of(
                "duplicate sni", hello().sni("a.example", "b.example").bytes()));
        cases.add(Arguments.of("invalid host", hello().sni("a_b.example").bytes()));
        cases.add(Arguments.of(
                "empty alpn name", hello().sni("a.example").alpn("h2", "").bytes()));
        cases.add(Arguments.of(
                "too large",
                HelloBuilder.records(hello().sni("a.example").padding(20000).handshake(), 16384)));
        cases.add(Arguments.of("not tls", "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hellos")
    void helloEverySplitAndOneByteAtATime(String name, byte[] wire) {
        HelloOutcome expected = Outcomes.hello(wire);
        assertThat(expected.status()).isNotEqualTo(ClientHelloPeek.Status.NEED_MORE);
        ClientHelloPeek peek = new ClientHelloPeek();
        for (int split = 0; split <= wire.length; split++) {
            peek.reset();
            Feeding.feedSplit(wire, split, peek::feed);
            assertThat(Outcomes.of(peek)).as("split at %d", split).isEqualTo(expected);
        }
        peek.reset();
        Feeding.feedInChunks(wire, 1, peek::feed, ClientHelloPeek.Status.NEED_MORE);
        assertThat(Outcomes.of(peek)).as("one byte at a time").isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hellos")
    void helloReframedIntoRecordsOfEverySize(String name, byte[] wire) {
        if (wire[0] != 22) {
            return; // not TLS: nothing to re-frame
        }
        HelloOutcome expected = Outcomes.unbounded(wire);
        byte[] handshake = HelloBuilder.unframe(wire);
        // The record framing changes nothing but the bytes received, which the byte bound counts:
        // without it the outcome is the same for every framing; with it, it is the outcome within
        // the bound.
        ClientHelloPeek unbounded = new ClientHelloPeek(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH, Integer.MAX_VALUE);
        ClientHelloPeek bounded = new ClientHelloPeek();
        // Every size up to 2100 (beyond every captured hello), then a sparser sweep for the big synthetic ones.
        for (int size = 1; size <= Math.min(handshake.length, 16384); size += size < 2100 ? 1 : 97) {
            byte[] reframed = HelloBuilder.records(handshake, size);
            HelloOutcome withinBound = Outcomes.within(reframed, ClientHelloPeek.DEFAULT_MAX_BYTES);
            for (ClientHelloPeek peek : List.of(unbounded, bounded)) {
                HelloOutcome want = peek == unbounded ? expected : withinBound;
                peek.reset();
                Feeding.feedOne(reframed, 0, reframed.length, peek::feed);
                assertThat(Outcomes.of(peek)).as("records of %d bytes", size).isEqualTo(want);
                // and the re-framed stream cut into odd TCP segments
                peek.reset();
                Feeding.feedInChunks(reframed, 1 + size % 97, peek::feed, ClientHelloPeek.Status.NEED_MORE);
                assertThat(Outcomes.of(peek))
                        .as("records of %d bytes in %d-byte segments", size, 1 + size % 97)
                        .isEqualTo(want);
            }
            if (size >= ClientHelloPeek.MIN_RECORD_PAYLOAD) {
                assertThat(withinBound)
                        .as("records of %d bytes fit the default bound", size)
                        .isEqualTo(expected);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("co.airdress.relay.sni.Fixtures#clientHellos")
    void fixtureMatchesItsManifest(ClientHelloFixture f) {
        HelloOutcome outcome = Outcomes.hello(f.bytes());
        assertThat(outcome.status())
                .isEqualTo(f.sni() == null ? ClientHelloPeek.Status.NO_SNI : ClientHelloPeek.Status.FOUND);
        assertThat(outcome.host()).isEqualTo(f.sni());
        assertThat(outcome.alpn()).isEqualTo(f.alpn());
        assertThat(outcome.ech()).isEqualTo(f.ech());
        assertThat(outcome.legacyVersion()).isEqualTo(f.legacyVersion());
        assertThat(outcome.supportedVersions()).isEqualTo(f.supportedVersions());
        assertThat(outcome.helloLength()).isEqualTo(HelloBuilder.unframe(f.bytes()).length);
    }

    static List<Arguments> heads() {
        List<Arguments> cases = new ArrayList<>();
        for (HttpHeadFixture f : Fixtures.httpHeads()) {
            cases.add(Arguments.of("fixture " + f.name(), f.bytes()));
        }
        String[] synthetic = {
            "GET / HTTP/1.0\r\n\r\n",
            "\r\nGET http://abs.example:8080/x HTTP/1.1\r\nHost: other.example\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
            "GET / HTTP/1.1\r\nX: y\r\n z\r\nHost: a.example\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
            "\u0016\u0003\u0001\u0000\u0004\u0001\u0000\u0000\u0000",
            "GET / HTTP/1.1\r\nHost: a.example\r\nX: " + "v".repeat(17000) + "\r\n\r\n",
        };
        for (String s : synthetic) {
            cases.add(Arguments.of(s.length() > 60 ? s.substring(0, 60) : s, s.getBytes(StandardCharsets.ISO_8859_1)));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heads")
    void headEverySplitAndOneByteAtATime(String name, byte[] wire) {
        HeadOutcome expected = Outcomes.head(wire);
        assertThat(expected.status()).isNotEqualTo(HttpHeadPeek.Status.NEED_MORE);
        HttpHeadPeek peek = new HttpHeadPeek();
        for (int split = 0; split <= wire.length; split++) {
            peek.reset();
            Feeding.feedSplit(wire, split, peek::feed);
            assertThat(Outcomes.of(peek)).as("split at %d", split).isEqualTo(expected);
        }
        peek.reset();
        Feeding.feedInChunks(wire, 1, peek::feed, HttpHeadPeek.Status.NEED_MORE);
        assertThat(Outcomes.of(peek)).as("one byte at a time").isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("co.airdress.relay.sni.Fixtures#httpHeads")
    void headFixtureMatchesItsManifest(HttpHeadFixture f) {
        HeadOutcome outcome = Outcomes.head(f.bytes());
        assertThat(outcome.status()).isEqualTo(HttpHeadPeek.Status.FOUND);
        assertThat(outcome.host()).isEqualTo(f.host());
        assertThat(outcome.headLength()).isEqualTo(f.bytes().length);
    }
}
