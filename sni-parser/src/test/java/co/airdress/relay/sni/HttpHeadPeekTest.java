package co.airdress.relay.sni;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.sni.HttpHeadPeek.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpHeadPeekTest {

    static HttpHeadPeek peek(String head) {
        byte[] data = head.getBytes(StandardCharsets.ISO_8859_1);
        HttpHeadPeek peek = new HttpHeadPeek();
        Feeding.feedOne(data, 0, data.length, peek::feed);
        return peek;
    }

    @Test
    void findsHostHeader() {
        HttpHeadPeek peek =
                peek("GET /index.html HTTP/1.1\r\nUser-Agent: curl\r\nHost: Example.COM.:8080\r\nAccept: */*\r\n\r\n");
        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("example.com");
        assertThat(peek.hostLength()).isEqualTo(11);
        assertThat(peek.minorVersion()).isEqualTo(1);
        assertThat(peek.absoluteForm()).isFalse();
        assertThat(peek.malformed()).isNull();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "host: a.example|a.example",
                "HOST:a.example|a.example",
                "hOsT: \t a.example \t |a.example",
                "Host: a.example:|a.example",
                "Host: [::1]:443|[::1]",
                "Host: [2001:DB8::1]|[2001:db8::1]",
                "Host: 192.0.2.1:80|192.0.2.1",
                "Host: xn--bcher-kva.example|xn--bcher-kva.example",
            })
    void hostValueForms(String header, String host) {
        HttpHeadPeek peek = peek("GET / HTTP/1.1\r\n" + header + "\r\n\r\n");
        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo(host);
    }

    @Test
    void absoluteFormWins() {
        HttpHeadPeek peek = peek("GET http://Target.Example:81/path?q HTTP/1.1\r\nHost: other.example\r\n\r\n");
        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("target.example");
        assertThat(peek.absoluteForm()).isTrue();

        peek = peek("GET https://[::1] HTTP/1.0\r\n\r\n");
        assertThat(peek.host()).isEqualTo("[::1]");

        peek = peek("GET http://a.example/ HTTP/1.1\r\n\r\n");
        assertThat(peek.status()).as("HTTP/1.1 still needs a Host header").isEqualTo(Status.MALFORMED);
        assertThat(peek.malformed()).isEqualTo(MalformedHead.MISSING_HOST);

        peek = peek("GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n");
        assertThat(peek.malformed()).isEqualTo(MalformedHead.DUPLICATE_HOST);

        peek = peek("GET http://a.example/ HTTP/1.1\r\nHost: a_b\r\n\r\n");
        assertThat(peek.malformed())
                .as("an invalid Host is a 400 even when the target wins")
                .isEqualTo(MalformedHead.INVALID_HOST);

        peek = peek("GET http://user@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
        assertThat(peek.malformed()).as("userinfo").isEqualTo(MalformedHead.INVALID_HOST);

        peek = peek("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
        assertThat(peek.host()).as("authority-form uses the Host header").isEqualTo("a.example");
        assertThat(peek.absoluteForm()).isFalse();

        peek = peek("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n");
        assertThat(peek.host()).isEqualTo("a.example");
    }

    @Test
    void leadingEmptyLinesAreSkipped() {
        HttpHeadPeek peek = peek("\r\n\r\nGET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
        assertThat(peek.host()).isEqualTo("a.example");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "Host: [::1%25eth0]",
                "Host: [zz::1]",
                "Host: [::1",
                "Host: ::1",
                "Host: [1]",
                "Host: a.example:8o",
                "Host: a.example:123456",
                "Host: a.example:1:2",
                "Host: 999.1.1.1",
                "Host: a..example",
                "Host: \u00e9.example",
                "Host: a.example x",
            })
    void invalidHostValues(String header) {
        HttpHeadPeek peek = peek("GET / HTTP/1.1\r\n" + header + "\r\n\r\n");
        assertThat(peek.status()).isEqualTo(Status.MALFORMED);
        assertThat(peek.malformed()).isEqualTo(MalformedHead.INVALID_HOST);
    }

    @Test
    void hostValueOverTheInternalBufferIsInvalidNotTruncated() {
        HttpHeadPeek peek =
                peek("GET / HTTP/1.1\r\nHost: " + "a".repeat(50) + ("." + "a".repeat(60)).repeat(5) + "\r\n\r\n");
        assertThat(peek.malformed()).isEqualTo(MalformedHead.INVALID_HOST);
        String name253 = ("a".repeat(63) + ".").repeat(3) + "b".repeat(61);
        peek = peek("GET / HTTP/1.1\r\nHost: " + name253 + ".:65535\r\n\r\n");
        assertThat(peek.host()).isEqualTo(name253);
    }

    @Test
    void noHostOnHttp10AndEmptyHost() {
        assertThat(peek("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n").status()).isEqualTo(Status.NO_HOST);
        assertThat(peek("GET / HTTP/1.1\r\nHost:\r\n\r\n").status()).isEqualTo(Status.NO_HOST);
    }

    @Test
    void notHttp() {
        assertThat(peek("\u0016\u0003\u0001\u0002\u0000").status()).isEqualTo(Status.NOT_HTTP);
        assertThat(peek("SSH-2.0-OpenSSH_9.6\r\n").status()).isEqualTo(Status.NOT_HTTP);
        assertThat(peek("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").status()).isEqualTo(Status.NOT_HTTP);
    }

    @Test
    void tooLarge() {
        String head = "GET / HTTP/1.1\r\nHost: a.example\r\nX: " + "v".repeat(20000) + "\r\n\r\n";
        assertThat(peek(head).status()).isEqualTo(Status.TOO_LARGE);

        String exact = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
        HttpHeadPeek fits = new HttpHeadPeek(exact.length());
        byte[] b = exact.getBytes(StandardCharsets.US_ASCII);
        assertThat(Feeding.feedOne(b, 0, b.length, fits::feed)).isEqualTo(Status.FOUND);
        assertThat(fits.headLength()).isEqualTo(b.length);
        HttpHeadPeek tight = new HttpHeadPeek(exact.length() - 1);
        assertThat(Feeding.feedOne(b, 0, b.length, tight::feed)).isEqualTo(Status.TOO_LARGE);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "GET / HTTP/1.1\\r\\nAccept: x\\r\\n\\r\\n|MISSING_HOST",
                "GET / HTTP/1.1\\r\\nHost: a.example\\r\\nHost: a.example\\r\\n\\r\\n|DUPLICATE_HOST",
                "GET / HTTP/1.1\\r\\nHost: a_b.example\\r\\n\\r\\n|INVALID_HOST",
                "GET / HTTP/1.1\\r\\nHost: a.example:99999\\r\\n\\r\\n|INVALID_HOST",
                "GET / HTTP/1.1\\r\\nHost: user@a.example\\r\\n\\r\\n|INVALID_HOST",
                "GET / HTTP/1.1\\r\\nHost: a b\\r\\n\\r\\n|INVALID_HOST",
                "GET http:///x HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n|INVALID_HOST",
                "GET  / HTTP/1.1\\r\\n\\r\\n|INVALID_REQUEST_LINE",
                "GET / http/1.1\\r\\n\\r\\n|INVALID_REQUEST_LINE",
                "GET /\\r\\n\\r\\n|INVALID_REQUEST_LINE",
                "GET / HTTP/1.1\\r\\nHost : a.example\\r\\n\\r\\n|WHITESPACE_BEFORE_COLON",
                "GET / HTTP/1.1\\r\\nHost: a.example\\r\\n folded\\r\\n\\r\\n|OBS_FOLD",
                "GET / HTTP/1.1\\r\\nHost: a.ex\\u0000ample\\r\\n\\r\\n|NUL",
                "GET / HTTP/1.1\\r\\nX: a\\u0001b\\r\\nHost: a.example\\r\\n\\r\\n|CONTROL_CHARACTER",
                "GET / HTTP/1.1\\r\\nHost: a.example\\rX: y\\r\\n\\r\\n|BARE_CR",
                "GET / HTTP/1.1\\nHost: a.example\\n\\n|BARE_LF",
                "GET / HTTP/1.1\\r\\nBad[Name]: x\\r\\n\\r\\n|INVALID_HEADER_NAME",
            })
    void malformed(String escaped, MalformedHead reason) {
        String head = escaped.replace("\\r", "\r")
                .replace("\\n", "\n")
                .replace("\\u0000", "\u0000")
                .replace("\\u0001", "\u0001");
        HttpHeadPeek peek = peek(head);
        assertThat(peek.status()).isEqualTo(Status.MALFORMED);
        assertThat(peek.malformed()).isEqualTo(reason);
        assertThat(peek.host()).isNull();
    }
}
