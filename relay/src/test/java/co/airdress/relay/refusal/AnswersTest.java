package co.airdress.relay.refusal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswersTest {

    @Test
    void answersAreWellFormed() {
        assertThat(Answers.alert(0x0303, 112)).containsExactly(21, 3, 3, 0, 2, 2, 112);
        assertThat(Answers.alert(0x1234, 80)).containsExactly(21, 3, 3, 0, 2, 2, 80);
        for (Refusal refusal : List.of(Refusal.values())) {
            String http = new String(Answers.http(refusal), StandardCharsets.US_ASCII);
            int split = http.indexOf("\r\n\r\n");
            String body = http.substring(split + 4);
            assertThat(http)
                    .startsWith("HTTP/1.1 " + refusal.status() + " ")
                    .contains("Connection: close\r\n")
                    .contains("Content-Length: " + body.length() + "\r\n");
        }
    }
}
