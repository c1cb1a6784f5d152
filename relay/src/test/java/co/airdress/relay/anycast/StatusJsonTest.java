package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.json.JsonBodies;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The controller's {@code /status} document, as its readers (lab/run.sh, docs) see it. */
class StatusJsonTest {

    private static final AnycastController.Config CONFIG = new AnycastController.Config(
            URI.create("http://127.0.0.1:9090/readyz"),
            Path.of("/run/bird/bird.ctl"),
            List.of("vip", "vip6"),
            Path.of("/run/bird/vip-state.conf"),
            Duration.ofMillis(500),
            Duration.ofMillis(400),
            Duration.ofSeconds(2),
            new AnnouncementPolicy.Settings(
                    5,
                    3,
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(10),
                    Duration.ofMinutes(5),
                    Duration.ofMinutes(15)),
            new InetSocketAddress("127.0.0.1", 9191));

    private static JsonNode status(AnycastController.Snapshot s) {
        return JsonBodies.MAPPER.readTree(JsonBodies.MAPPER.writeValueAsString(AnycastController.status(s, CONFIG)));
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (var e : node.properties()) {
            names.add(e.getKey());
            if (e.getValue().isObject()) {
                names.addAll(names(e.getValue()));
            }
            if (e.getValue().isArray()) {
                for (JsonNode element : e.getValue()) {
                    names.addAll(names(element));
                }
            }
        }
        return names;
    }

    @Test
    void everyFieldIsSnakeCase() {
        JsonNode doc = status(new AnycastController.Snapshot(
                PolicyState.ANNOUNCED,
                BirdAction.ANNOUNCE,
                BirdAction.ANNOUNCE,
                true,
                Map.of("vip", "up", "vip6", "start"),
                null,
                1,
                new HealthProbe.Result(ProbeOutcome.UP, "200 UP"),
                Instant.parse("2026-11-22T03:50:01.012Z"),
                7,
                0,
                1,
                Duration.ofMillis(1500),
                new AnnouncementPolicy.Transition(
                        PolicyState.RISING, PolicyState.ANNOUNCED, BirdAction.ANNOUNCE, "5 healthy probes"),
                Instant.parse("2026-11-22T03:49:58Z"),
                42));

        assertThat(names(doc)).allSatisfy(name -> assertThat(name).matches("[a-z][a-z0-9_]*"));
        assertThat(doc.get("state").asString()).isEqualTo("ANNOUNCED");
        assertThat(doc.get("applied").asString()).isEqualTo("ANNOUNCE");
        assertThat(doc.at("/bird/protocols/0/name").asString()).isEqualTo("vip");
        assertThat(doc.at("/bird/protocols/0/state").asString()).isEqualTo("up");
        assertThat(doc.at("/bird/protocols/1/name").asString()).isEqualTo("vip6");
        assertThat(doc.at("/bird/protocols/1/state").asString()).isEqualTo("start");
        assertThat(doc.at("/bird/protocols").size()).isEqualTo(2);
        assertThat(doc.at("/bird/error").isNull()).isTrue();
        assertThat(doc.at("/probe/last").asString()).isEqualTo("UP");
        assertThat(doc.at("/probe/last_detail").asString()).isEqualTo("200 UP");
        assertThat(doc.at("/probe/last_at").asString()).isEqualTo("2026-11-22T03:50:01.012Z");
        assertThat(doc.at("/probe/consecutive_up").asInt()).isEqualTo(7);
        assertThat(doc.at("/probe/probes").asLong()).isEqualTo(42);
        assertThat(doc.at("/backoff/recent_flaps").asInt()).isEqualTo(1);
        assertThat(doc.at("/backoff/hold_remaining_millis").asLong()).isEqualTo(1500);
        assertThat(doc.at("/last_transition/from").asString()).isEqualTo("RISING");
        assertThat(doc.at("/last_transition/at").asString()).isEqualTo("2026-11-22T03:49:58Z");
        assertThat(doc.at("/settings/interval_millis").asLong()).isEqualTo(500);
        assertThat(doc.at("/settings/flap_window_millis").asLong()).isEqualTo(900_000);
    }

    @Test
    void beforeTheFirstProbeUnknownsAreNullAndThereIsNoTransition() {
        JsonNode doc = status(new AnycastController.Snapshot(
                PolicyState.WITHDRAWN,
                BirdAction.WITHDRAW,
                null,
                false,
                Map.of(),
                "connect: no such file",
                0,
                null,
                null,
                0,
                0,
                0,
                Duration.ZERO,
                null,
                null,
                0));
        assertThat(doc.get("applied").isNull()).isTrue();
        assertThat(doc.at("/probe/last").isNull()).isTrue();
        assertThat(doc.at("/probe/last_at").isNull()).isTrue();
        assertThat(doc.at("/bird/error").asString()).isEqualTo("connect: no such file");
        assertThat(doc.at("/bird/protocols/0/name").asString()).isEqualTo("vip");
        assertThat(doc.at("/bird/protocols/0/state").isNull()).isTrue();
        assertThat(doc.at("/bird/protocols/1/state").isNull()).isTrue();
        assertThat(doc.has("last_transition")).isFalse();
    }
}
