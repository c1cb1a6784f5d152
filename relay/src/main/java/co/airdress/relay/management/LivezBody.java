package co.airdress.relay.management;

import co.airdress.relay.health.Readiness;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** GET /livez: UP while every watched event loop runs a task in time; {@code stuck} names the others. */
record LivezBody(
        Readiness status,
        String pop,
        int eventLoops,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> stuck) {}
