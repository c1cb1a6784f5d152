package co.airdress.relay.management;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AnnouncementWatchTest {

    /** The controller's /status as docs/operating-a-pop.md shows it. */
    static final String ANNOUNCED = """
            {
              "state" : "ANNOUNCED", "wanted" : "ANNOUNCE", "applied" : "ANNOUNCE",
              "bird" : { "socket" : "/run/bird/bird.ctl",
                         "protocols" : [ { "name" : "vip", "state" : "up" }, { "name" : "vip6", "state" : "up" } ],
                         "connected" : true, "connections" : 1, "error" : null },
              "probe" : { "url" : "http://127.0.0.1:9090/readyz", "probes" : 1234, "last" : "UP", "last_detail" : "200 UP",
                          "last_at" : "2026-11-22T03:50:01.012Z", "consecutive_up" : 1230, "consecutive_failures" : 0 },
              "backoff" : { "recent_flaps" : 0, "hold_remaining_millis" : 0 },
              "last_transition" : { "from" : "RISING", "to" : "ANNOUNCED", "cause" : "5 consecutive healthy probes (rise 5)",
                                    "at" : "2026-11-22T03:39:45.301Z" },
              "settings" : { "interval_millis" : 500, "timeout_millis" : 400, "rise" : 5, "fall" : 3 }
            }
            """;

    @Test
    void readsTheControllersStatusDocument() {
        assertThat(AnnouncementWatch.read("c", ANNOUNCED.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new StatusView.Announcement.Reported(
                        "ANNOUNCED",
                        true,
                        false,
                        0,
                        Duration.ZERO,
                        null,
                        "RISING → ANNOUNCED: 5 consecutive healthy probes (rise 5)"));
        String holding = """
                {"state":"HOLDING","wanted":"WITHDRAW","applied":"WITHDRAW",
                 "bird":{"error":"connect: no such file"},"backoff":{"recent_flaps":3,"hold_remaining_millis":12500}}
                """;
        assertThat(AnnouncementWatch.read("c", holding.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new StatusView.Announcement.Reported(
                        "HOLDING", false, false, 3, Duration.ofMillis(12500), "connect: no such file", null));
        assertThat(AnnouncementWatch.read(
                        "c",
                        "{\"state\":\"DRAINING_ANNOUNCED\",\"applied\":\"ANNOUNCE_GRACEFUL_SHUTDOWN\"}"
                                .getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new StatusView.Announcement.Reported(
                        "DRAINING_ANNOUNCED", true, true, 0, Duration.ZERO, null, null));
        // Before BIRD was ever told anything, "applied" is null: not announced.
        assertThat(AnnouncementWatch.read(
                        "c", "{\"state\":\"RISING\",\"applied\":null}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        StatusView.Announcement.Reported.class,
                        r -> assertThat(r.announced()).isFalse());
    }

    @Test
    void anythingElseIsUnknownWithTheReason() {
        assertThat(AnnouncementWatch.read("127.0.0.1:9191", "<html>".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(
                        new StatusView.Announcement.Unknown("the controller at 127.0.0.1:9191 answered with no JSON"));
        assertThat(AnnouncementWatch.read("127.0.0.1:9191", "{}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new StatusView.Announcement.Unknown(
                        "the controller at 127.0.0.1:9191 answered without a state"));
    }

    @Test
    void withoutAnAddressItIsUnknownAndSaysWhy() {
        try (AnnouncementWatch watch = new AnnouncementWatch(null)) {
            watch.poll();
            assertThat(watch.current())
                    .isInstanceOfSatisfying(
                            StatusView.Announcement.Unknown.class,
                            u -> assertThat(u.reason()).startsWith("management.controller_status is not set"));
        }
    }

    @Test
    void pollsARealControllerAndNoticesWhenItGoesAway() throws IOException {
        AtomicReference<String> body = new AtomicReference<>(ANNOUNCED);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/status", exchange -> {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        InetSocketAddress address = server.getAddress();
        try (AnnouncementWatch watch = new AnnouncementWatch(address)) {
            assertThat(watch.current())
                    .isEqualTo(new StatusView.Announcement.Unknown(
                            "asking the controller at 127.0.0.1:" + address.getPort()));
            Await.until(Duration.ofSeconds(10), "the controller's answer", () -> {
                watch.poll();
                return watch.current() instanceof StatusView.Announcement.Reported r && r.announced();
            });
            body.set("{\"state\":\"WITHDRAWN\",\"applied\":\"WITHDRAW\"}");
            Await.until(Duration.ofSeconds(10), "the withdrawal", () -> {
                watch.poll();
                return watch.current() instanceof StatusView.Announcement.Reported r && !r.announced();
            });
            server.stop(0);
            Await.until(Duration.ofSeconds(10), "the controller gone", () -> {
                watch.poll();
                return watch.current() instanceof StatusView.Announcement.Unknown u
                        && u.reason()
                                .startsWith("the controller at 127.0.0.1:" + address.getPort() + " does not answer");
            });
        } finally {
            server.stop(0);
        }
    }
}
