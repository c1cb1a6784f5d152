package co.airdress.relay.sni;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostnameRulesTest {

    static String normalize(String name) {
        byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
        int n = HostnameRules.normalize(b, 0, b.length);
        return n == HostnameRules.EMPTY
                ? "<empty>"
                : n == HostnameRules.INVALID ? "<invalid>" : new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @CsvSource({
        "example.com, example.com",
        "EXAMPLE.Com., example.com",
        "a, a",
        "xn--bcher-kva.example, xn--bcher-kva.example",
        "a-b.c-d.e, a-b.c-d.e",
        "1.2.3.example, 1.2.3.example",
        "123.com, 123.com",
        "., <empty>",
        "'', <empty>",
    })
    void accepts(String in, String out) {
        assertThat(normalize(in)).isEqualTo(out);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "under_score.example",
                "a..b",
                ".a",
                "a.b..",
                "-a.example",
                "a-.example",
                "a.-b",
                "1.2.3.4",
                "10.0.0.1.",
                "a.123",
                "[::1]",
                "::1",
                "a b",
                "a\u0000b",
                "\u00e9.example",
                "host:443",
                "a@b",
                "a/b",
                "*.example",
                "a%2e",
            })
    void rejects(String in) {
        assertThat(normalize(in)).isEqualTo("<invalid>");
    }

    @org.junit.jupiter.api.Test
    void lengthLimits() {
        String label63 = "a".repeat(63);
        assertThat(normalize(label63 + ".x")).isEqualTo(label63 + ".x");
        assertThat(normalize("a".repeat(64) + ".x")).isEqualTo("<invalid>");
        String name253 = (label63 + ".").repeat(3) + "b".repeat(61); // 192 + 61 = 253
        assertThat(name253).hasSize(253);
        assertThat(normalize(name253)).isEqualTo(name253);
        assertThat(normalize(name253 + ".")).isEqualTo(name253);
        assertThat(normalize(name253 + "b")).isEqualTo("<invalid>");
    }

    @ParameterizedTest
    @CsvSource({
        "1.2.3.4, true",
        "255.255.255.255, true",
        "0.0.0.0, true",
        "256.1.1.1, false",
        "01.1.1.1, false",
        "1.2.3, false",
        "1.2.3.4.5, false",
        "1..3.4, false",
        "a.b.c.d, false",
        "1.2.3.4., false"
    })
    void ipv4Literals(String in, boolean literal) {
        byte[] b = in.getBytes(StandardCharsets.US_ASCII);
        assertThat(HostnameRules.isIpv4Literal(b, 0, b.length)).isEqualTo(literal);
    }
}
