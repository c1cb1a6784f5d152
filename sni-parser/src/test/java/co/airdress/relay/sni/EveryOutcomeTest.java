package co.airdress.relay.sni;

import static co.airdress.relay.sni.Bytes.of;
import static co.airdress.relay.sni.Bytes.u16;
import static co.airdress.relay.sni.HelloBuilder.hello;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One example per outcome and per malformed reason of both peeks, and a check that the examples
 * cover every enum value: adding a status or reason without an example fails here. (The hostile
 * and HTTP tests exercise each reason in more depth.)
 */
class EveryOutcomeTest {

    private static final byte[] PREFIX = ClientHelloHostileTest.PREFIX;

    static byte[] withExtensions(byte[] extensions) {
        return ClientHelloHostileTest.record(
                ClientHelloHostileTest.clientHello(ClientHelloHostileTest.withExtensions(extensions)));
    }

    static Map<String, byte[]> helloExamples() {
        byte[] hs = ClientHelloHostileTest.clientHello(ClientHelloHostileTest.withExtensions(of()));
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("NEED_MORE", of(22, 3, 1));
        m.put("FOUND", hello().sni("a.example").bytes());
        m.put("NO_SNI", hello().bytes());
        m.put("NOT_TLS", "GET /".getBytes(StandardCharsets.US_ASCII));
        m.put("TOO_LARGE", of(22, 3, 1, u16(100), 1, 0, 0x40, 0));
        m.put("RECORD_TYPE", of(22, 3, 1, u16(4), java.util.Arrays.copyOf(hs, 4), 21, 3, 3, u16(2), 2, 40));
        m.put("RECORD_VERSION", of(22, 3, 1, u16(4), java.util.Arrays.copyOf(hs, 4), 22, 2, 0, u16(2), 3, 3));
        m.put("RECORD_LENGTH", of(22, 3, 1, u16(0)));
        m.put("NOT_CLIENT_HELLO", ClientHelloHostileTest.record(HelloBuilder.handshake(2, PREFIX)));
        m.put("LENGTH_OVERRUN", withExtensions(of(u16(21), u16(1000))));
        m.put(
                "LENGTH_MISMATCH",
                ClientHelloHostileTest.record(ClientHelloHostileTest.clientHello(of(PREFIX, u16(0), 0))));
        HelloBuilder sid = hello();
        sid.sessionId = new byte[33];
        m.put("SESSION_ID_TOO_LONG", sid.bytes());
        HelloBuilder cs = hello();
        cs.cipherSuites = new int[0];
        m.put("CIPHER_SUITES_LENGTH", cs.bytes());
        HelloBuilder cm = hello();
        cm.compression = new byte[0];
        m.put("COMPRESSION_METHODS_LENGTH", cm.bytes());
        m.put("DUPLICATE_EXTENSION", hello().ech().ech().bytes());
        m.put("EMPTY_SERVER_NAME_LIST", hello().sni().bytes());
        m.put("DUPLICATE_SNI", hello().sni("a.example", "a.example").bytes());
        m.put("EMPTY_HOST", hello().sni("").bytes());
        m.put("INVALID_HOST", hello().sni("a_b.example").bytes());
        m.put("INVALID_ALPN", hello().alpn("").bytes());
        m.put(
                "INVALID_SUPPORTED_VERSIONS",
                hello().extension(0x2b, of(3, 3, 4, 3)).bytes());
        return m;
    }

    static Map<String, String> headExamples() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("NEED_MORE", "GET / HTTP/1.1\r\nHost: a.example\r\n");
        m.put("FOUND", "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
        m.put("NO_HOST", "GET / HTTP/1.0\r\n\r\n");
        m.put("NOT_HTTP", "\u0016\u0003\u0001");
        m.put("TOO_LARGE", "GET /" + "a".repeat(HttpHeadPeek.DEFAULT_MAX_HEAD_LENGTH) + " HTTP/1.1\r\n\r\n");
        m.put("MISSING_HOST", "GET / HTTP/1.1\r\n\r\n");
        m.put("DUPLICATE_HOST", "GET / HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\n\r\n");
        m.put("INVALID_HOST", "GET / HTTP/1.1\r\nHost: 1.2.3.4.5\r\n\r\n");
        m.put("INVALID_REQUEST_LINE", "GET / HTTP/1.1 \r\n\r\n");
        m.put("INVALID_HEADER_NAME", "GET / HTTP/1.1\r\n(x): y\r\n\r\n");
        m.put("WHITESPACE_BEFORE_COLON", "GET / HTTP/1.1\r\nHost\t: a.example\r\n\r\n");
        m.put("OBS_FOLD", "GET / HTTP/1.1\r\n\tHost: a.example\r\n\r\n");
        m.put("NUL", "GET /\u0000 HTTP/1.1\r\n\r\n");
        m.put("CONTROL_CHARACTER", "GET / HTTP/1.1\r\nX: \u001b[31m\r\n\r\n");
        m.put("BARE_CR", "GET / HTTP/1.1\r\r\n\r\n");
        m.put("BARE_LF", "GET / HTTP/1.1\r\nHost: a.example\n\r\n");
        return m;
    }

    @Test
    void everyHelloOutcomeHasAnExample() {
        Set<ClientHelloPeek.Status> statuses = EnumSet.noneOf(ClientHelloPeek.Status.class);
        Set<MalformedHello> reasons = EnumSet.noneOf(MalformedHello.class);
        helloExamples().forEach((name, wire) -> {
            ClientHelloPeek peek = new ClientHelloPeek();
            Feeding.feedOne(wire, 0, wire.length, peek::feed);
            statuses.add(peek.status());
            if (peek.status() == ClientHelloPeek.Status.MALFORMED) {
                assertThat(peek.malformed()).as(name).isNotNull();
                assertThat(peek.malformed().name()).as(name).isEqualTo(name);
                reasons.add(peek.malformed());
            } else {
                assertThat(peek.status().name()).as(name).isEqualTo(name);
                assertThat(peek.malformed()).as(name).isNull();
            }
        });
        assertThat(statuses).containsExactlyInAnyOrder(ClientHelloPeek.Status.values());
        assertThat(reasons).containsExactlyInAnyOrder(MalformedHello.values());
    }

    @Test
    void everyHeadOutcomeHasAnExample() {
        Set<HttpHeadPeek.Status> statuses = EnumSet.noneOf(HttpHeadPeek.Status.class);
        Set<MalformedHead> reasons = EnumSet.noneOf(MalformedHead.class);
        headExamples().forEach((name, head) -> {
            byte[] wire = head.getBytes(StandardCharsets.ISO_8859_1);
            HttpHeadPeek peek = new HttpHeadPeek();
            Feeding.feedOne(wire, 0, wire.length, peek::feed);
            statuses.add(peek.status());
            if (peek.status() == HttpHeadPeek.Status.MALFORMED) {
                assertThat(peek.malformed()).as(name).isNotNull();
                assertThat(peek.malformed().name()).as(name).isEqualTo(name);
                reasons.add(peek.malformed());
            } else {
                assertThat(peek.status().name()).as(name).isEqualTo(name);
                assertThat(peek.malformed()).as(name).isNull();
            }
        });
        assertThat(statuses).containsExactlyInAnyOrder(HttpHeadPeek.Status.values());
        assertThat(reasons).containsExactlyInAnyOrder(MalformedHead.values());
    }
}
