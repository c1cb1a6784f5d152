package co.airdress.relay.management;

import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.net.HostPort;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Asks the anycast controller beside the relay ({@code management.controller_status}, its
 * {@code --status-listen}) whether it announces the VIP: every {@link #poll} sends one
 * {@code GET /status} (at most one in flight, bounded by {@link #TIMEOUT}, body at most
 * {@link #MAX_BODY}) and keeps what it says for the status page. Never blocks the caller: the
 * request runs on the HTTP client's own threads. Without an address the answer is always unknown.
 */
final class AnnouncementWatch implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(1);
    static final int MAX_BODY = 64 * 1024;

    private final @Nullable URI uri;
    private final @Nullable HttpClient client;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile StatusView.Announcement current;

    AnnouncementWatch(@Nullable InetSocketAddress controller) {
        if (controller == null) {
            this.uri = null;
            this.client = null;
            this.current = new StatusView.Announcement.Unknown(
                    "management.controller_status is not set: whether the controller announces the VIP is not"
                            + " known here (ask it: GET /status on its --status-listen)");
            return;
        }
        this.uri = URI.create("http://" + HostPort.format(controller) + "/status");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
        this.current = new StatusView.Announcement.Unknown("asking the controller at " + uri.getAuthority());
    }

    /** The last answer, or why there is none. */
    StatusView.Announcement current() {
        return current;
    }

    /** Asks again unless a request is still running. */
    void poll() {
        HttpClient c = client;
        URI u = uri;
        if (c == null || u == null || !inFlight.compareAndSet(false, true)) {
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(u)
                .GET()
                .timeout(TIMEOUT)
                .header("Accept", "application/json")
                .build();
        try {
            c.sendAsync(request, HttpResponse.BodyHandlers.limiting(HttpResponse.BodyHandlers.ofByteArray(), MAX_BODY))
                    .whenComplete((response, failure) -> {
                        current = failure != null ? unreachable(u, failure) : read(u, response);
                        inFlight.set(false);
                    });
        } catch (RuntimeException e) {
            current = unreachable(u, e);
            inFlight.set(false);
        }
    }

    private static StatusView.Announcement unreachable(URI uri, Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return new StatusView.Announcement.Unknown(
                "the controller at " + uri.getAuthority() + " does not answer (" + root + ")");
    }

    /** The controller's {@code /status} document (docs/operating-a-pop.md), read leniently. */
    static StatusView.Announcement read(URI uri, HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            return new StatusView.Announcement.Unknown(
                    "the controller at " + uri.getAuthority() + " answered HTTP " + response.statusCode());
        }
        return read(uri.getAuthority(), response.body());
    }

    static StatusView.Announcement read(String from, byte[] body) {
        JsonNode n;
        try {
            n = JsonBodies.MAPPER.readTree(body);
        } catch (JacksonException e) {
            return new StatusView.Announcement.Unknown("the controller at " + from + " answered with no JSON");
        }
        String state = text(n, "state");
        if (n == null || state == null) {
            return new StatusView.Announcement.Unknown("the controller at " + from + " answered without a state");
        }
        String applied = text(n, "applied");
        JsonNode backoff = n.get("backoff");
        JsonNode bird = n.get("bird");
        JsonNode last = n.get("last_transition");
        String lastTransition = null;
        if (last != null && last.isObject()) {
            lastTransition = text(last, "from") + " → " + text(last, "to") + ": " + text(last, "cause");
        }
        return new StatusView.Announcement.Reported(
                state,
                applied != null && !"WITHDRAW".equals(applied),
                "ANNOUNCE_GRACEFUL_SHUTDOWN".equals(applied),
                backoff == null ? 0 : backoff.path("recent_flaps").asInt(0),
                Duration.ofMillis(
                        backoff == null
                                ? 0
                                : backoff.path("hold_remaining_millis").asLong(0)),
                bird == null ? null : text(bird, "error"),
                lastTransition);
    }

    private static @Nullable String text(@Nullable JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v != null && v.isString() ? v.asString() : null;
    }

    @Override
    public void close() {
        HttpClient c = client;
        if (c != null) {
            c.shutdownNow();
        }
    }
}
