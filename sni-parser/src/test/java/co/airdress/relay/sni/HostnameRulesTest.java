package co.airdress.relay.sni;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.sni.HostnameRules.Rule;
import co.airdress.relay.sni.HostnameRules.Violation;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
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

    @ParameterizedTest
    @CsvSource({
        "example.com, , 0",
        "EXAMPLE.Com, , 0",
        "'', EMPTY_LABEL, 0",
        "a..b, EMPTY_LABEL, 2",
        ".a, EMPTY_LABEL, 0",
        "a.-b.c, HYPHEN_AT_LABEL_EDGE, 2",
        "a.b-.c, HYPHEN_AT_LABEL_EDGE, 2",
        "under_score.example, BAD_CHARACTER, 5",
        "*.example, BAD_CHARACTER, 0",
        "a b.c, BAD_CHARACTER, 1",
        "\u00e9.example, NOT_ASCII, 0",
        "a.123, NUMERIC_LAST_LABEL, 2",
        "1.2.3.4, NUMERIC_LAST_LABEL, 6",
        "a_b..c, BAD_CHARACTER, 1",
        "a..b_c, EMPTY_LABEL, 2",
    })
    void checkNamesTheFirstRuleBrokenAndWhere(String name, Rule rule, int index) {
        Violation v = HostnameRules.check(name);
        if (rule == null) {
            assertThat(v).isNull();
        } else {
            assertThat(v).isEqualTo(new Violation(rule, index));
        }
    }

    @Test
    void checkNamesLengthRules() {
        assertThat(HostnameRules.check("a".repeat(64) + ".x")).isEqualTo(new Violation(Rule.LABEL_TOO_LONG, 0));
        assertThat(HostnameRules.check("x." + "a".repeat(64))).isEqualTo(new Violation(Rule.LABEL_TOO_LONG, 2));
        String name253 = ("a".repeat(63) + ".").repeat(3) + "b".repeat(61);
        assertThat(HostnameRules.check(name253)).isNull();
        assertThat(HostnameRules.check(name253 + "b")).isEqualTo(new Violation(Rule.TOO_LONG, 0));
    }

    /**
     * The rules exist twice in this class, once fast over bytes for the data path and once with
     * reasons for configuration: they must accept exactly the same names.
     */
    @Test
    void checkAcceptsExactlyWhatNormalizeAccepts() {
        char[] alphabet = {'a', 'Z', '0', '9', '-', '.', '_', '*', ' ', '\u00e9', '\u0000', 'x'};
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 200_000; round++) {
            int length = random.nextInt(round % 100 == 0 ? 300 : 12);
            StringBuilder b = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                // Mostly letters, so that long valid names occur too.
                b.append(random.nextInt(3) == 0 ? alphabet[random.nextInt(alphabet.length)] : 'a');
            }
            String name = b.toString();
            String withoutDot = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
            int normalized = HostnameRules.normalize(bytes, 0, bytes.length);
            assertThat(normalized > 0)
                    .as("normalize vs check of \"%s\"", name)
                    .isEqualTo(HostnameRules.check(withoutDot) == null);
        }
    }
}
