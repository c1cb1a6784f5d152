package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NameRuleTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a",
                "0",
                "ams-1",
                "a-b-c",
                "9lives",
                "x123456789x123456789x123456789x123456789x123456789x123456789xyz" // 63
            })
    void acceptsADnsLabelOfLowercaseLettersDigitsAndHyphens(String name) {
        assertThat(NameRule.matches(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "-a",
                "a-",
                "-",
                "Ams",
                "a_b",
                "a.b",
                "a b",
                "é",
                "a\n",
                "x123456789x123456789x123456789x123456789x123456789x123456789xyzw" // 64
            })
    void refusesAnythingElse(String name) {
        assertThat(NameRule.matches(name)).isFalse();
    }
}
