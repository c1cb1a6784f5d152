package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.anycast.ReadyzDouble.Mode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthProbeTest {

    private ReadyzDouble readyz;
    private HealthProbe probe;

    @BeforeEach
    void start() throws IOException {
        readyz = new ReadyzDouble();
        probe = new HealthProbe(readyz.uri(), Duration.ofMillis(300));
    }

    @AfterEach
    void stop() {
        probe.close();
        readyz.close();
    }

    @Test
    void classifiesTheRelaysAnswers() {
        readyz.set(Mode.UP);
        assertThat(probe.probe().outcome()).isEqualTo(ProbeOutcome.UP);
        readyz.set(Mode.DOWN);
        assertThat(probe.probe().outcome()).isEqualTo(ProbeOutcome.DOWN);
        readyz.set(Mode.DRAINING);
        assertThat(probe.probe().outcome()).isEqualTo(ProbeOutcome.DRAINING);
    }

    @Test
    void aHungRelayIsATimeoutWithinTheDeadline() {
        readyz.set(Mode.HANG);
        long start = System.nanoTime();
        HealthProbe.Result r = probe.probe();
        assertThat(r.outcome()).isEqualTo(ProbeOutcome.TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        readyz.set(Mode.UP);
        assertThat(probe.probe().outcome()).as("recovers on a fresh connection").isEqualTo(ProbeOutcome.UP);
    }

    @Test
    void nothingListeningIsRefused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (HealthProbe closed =
                new HealthProbe(URI.create("http://127.0.0.1:" + port + "/readyz"), Duration.ofMillis(300))) {
            assertThat(closed.probe().outcome()).isEqualTo(ProbeOutcome.REFUSED);
        }
    }

    @Test
    void oddAnswersAreBadResponsesOrDown() {
        readyz.custom(200, "{\"status\":\"DOWN\"}");
        assertThat(probe.probe().outcome()).as("200 must say UP").isEqualTo(ProbeOutcome.BAD_RESPONSE);
        readyz.custom(200, "not json");
        assertThat(probe.probe().outcome()).isEqualTo(ProbeOutcome.BAD_RESPONSE);
        readyz.custom(404, "");
        assertThat(probe.probe().outcome()).isEqualTo(ProbeOutcome.BAD_RESPONSE);
        readyz.custom(503, "<html>busy</html>");
        assertThat(probe.probe().outcome())
                .as("a 503 never drains unless it says so")
                .isEqualTo(ProbeOutcome.DOWN);
        readyz.custom(200, "{\"status\":\"UP\",\"pad\":\"" + "x".repeat(HealthProbe.MAX_BODY_BYTES) + "\"}");
        HealthProbe.Result tooLong = probe.probe();
        assertThat(tooLong.outcome()).isEqualTo(ProbeOutcome.BAD_RESPONSE);
        assertThat(tooLong.detail()).contains("longer than");
    }

    @Test
    void classifyIsExact() {
        byte[] up = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(HealthProbe.classify(200, up).outcome()).isEqualTo(ProbeOutcome.UP);
        assertThat(HealthProbe.classify(503, up).outcome()).isEqualTo(ProbeOutcome.DOWN);
        assertThat(HealthProbe.classify(503, "{\"status\":\"DRAINING\"}".getBytes(StandardCharsets.UTF_8))
                        .outcome())
                .isEqualTo(ProbeOutcome.DRAINING);
        assertThat(HealthProbe.classify(200, "{\"status\":\"up\"}".getBytes(StandardCharsets.UTF_8))
                        .outcome())
                .isEqualTo(ProbeOutcome.BAD_RESPONSE);
        assertThat(HealthProbe.classify(200, "[]".getBytes(StandardCharsets.UTF_8))
                        .outcome())
                .isEqualTo(ProbeOutcome.BAD_RESPONSE);
        assertThat(HealthProbe.classify(500, up).outcome()).isEqualTo(ProbeOutcome.BAD_RESPONSE);
    }
}
