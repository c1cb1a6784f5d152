package co.airdress.relay.health;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.json.JsonBodies;
import org.junit.jupiter.api.Test;

class ReadinessTest {

    /** The words BGP announcements depend on: they never change. */
    @Test
    void theJsonFormIsTheContractTheControllerReads() {
        assertThat(JsonBodies.MAPPER.writeValueAsString(Readiness.UP)).isEqualTo("\"UP\"");
        assertThat(JsonBodies.MAPPER.writeValueAsString(Readiness.DRAINING)).isEqualTo("\"DRAINING\"");
        assertThat(JsonBodies.MAPPER.writeValueAsString(Readiness.DOWN)).isEqualTo("\"DOWN\"");
        for (Readiness r : Readiness.values()) {
            assertThat(Readiness.ofJson(r.name())).isEqualTo(r);
        }
        assertThat(Readiness.ofJson("up")).isNull();
        assertThat(Readiness.ofJson(" UP")).isNull();
        assertThat(Readiness.ofJson("(none)")).isNull();
    }

    @Test
    void onlyUpIsServedWith200() {
        assertThat(Readiness.UP.httpStatus()).isEqualTo(200);
        assertThat(Readiness.DRAINING.httpStatus()).isEqualTo(503);
        assertThat(Readiness.DOWN.httpStatus()).isEqualTo(503);
    }
}
