package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller's /metrics carry the PoP's name, so that dashboards and alerts join them to the relay's. */
class ControllerMetricsTest {

    @TempDir
    Path dir;

    private List<String> samples(@Nullable String pop) throws Exception {
        AnycastController.Config config = new AnycastController.Config(
                URI.create("http://127.0.0.1:1/readyz"), // refused: nothing needs to answer
                dir.resolve("no-bird.ctl"),
                List.of("vip"),
                dir.resolve("vip-state.conf"),
                Duration.ofMillis(500),
                Duration.ofMillis(400),
                Duration.ofMillis(200),
                new AnnouncementPolicy.Settings(
                        5,
                        3,
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(10),
                        Duration.ofMinutes(5),
                        Duration.ofMinutes(15)),
                new InetSocketAddress("127.0.0.1", 0),
                pop);
        try (AnycastController c = new AnycastController(config);
                HttpClient http = HttpClient.newHttpClient()) {
            c.start();
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(
                                    "http://127.0.0.1:" + c.statusAddress().getPort() + "/metrics"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body()
                    .lines()
                    .filter(l -> !l.startsWith("#") && !l.isBlank())
                    .toList();
        }
    }

    @Test
    void everySeriesCarriesThePopWhenItIsKnown() throws Exception {
        List<String> samples = samples("ams1");
        assertThat(samples).anyMatch(l -> l.startsWith("anycast_state{"));
        assertThat(samples).anyMatch(l -> l.startsWith("jvm_memory_used_bytes{"));
        assertThat(samples).allMatch(l -> l.contains("pop=\"ams1\""), "every sample has pop=\"ams1\"");
    }

    @Test
    void withoutAPopNameThereIsNoPopLabel() throws Exception {
        assertThat(samples(null)).noneMatch(l -> l.contains("pop="));
    }
}
