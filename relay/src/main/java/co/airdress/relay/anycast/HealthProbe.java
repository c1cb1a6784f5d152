package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.health.Readiness;
import co.airdress.relay.json.JsonBodies;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One {@code GET /readyz} against the relay's management address, classified into a
 * {@link ProbeOutcome}. The whole exchange (connect, headers, body) has one deadline, shorter than
 * the probe interval, so a hung relay JVM is a {@link ProbeOutcome#TIMEOUT}, never a stuck loop.
 */
final class HealthProbe implements AutoCloseable {

    /** A readiness answer is a few hundred bytes; anything longer is not one. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    /** The outcome plus a short human explanation for logs and {@code /status}. */
    record Result(ProbeOutcome outcome, String detail) {
        Result {
            requireNonNull(outcome, "outcome");
            requireNonNull(detail, "detail");
        }
    }

    private final URI uri;
    private final Duration timeout;
    private final HttpClient client;

    HealthProbe(URI uri, Duration timeout) {
        this.uri = requireNonNull(uri, "uri");
        this.timeout = requireNonNull(timeout, "timeout");
        if (!"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException(
                    "readyz: " + uri + " (expected: an http:// URL on the management address)");
        }
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
    }

    URI uri() {
        return uri;
    }

    Result probe() {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .GET()
                .timeout(timeout)
                .header("Accept", "application/json")
                .header("Cache-Control", "no-store")
                .build();
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request, info -> new BoundedBody());
        try {
            return classify(future.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            future.cancel(true);
            return new Result(ProbeOutcome.TIMEOUT, "no complete answer within " + timeout);
        } catch (ExecutionException e) {
            return failure(e.getCause());
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return new Result(ProbeOutcome.TIMEOUT, "interrupted");
        }
    }

    private Result failure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException || t instanceof HttpTimeoutException) {
                return new Result(ProbeOutcome.TIMEOUT, t.toString());
            }
            if (t instanceof ConnectException) {
                return new Result(ProbeOutcome.REFUSED, "connection refused by " + uri.getAuthority());
            }
            if (t instanceof BodyTooLong) {
                return new Result(ProbeOutcome.BAD_RESPONSE, "body longer than " + MAX_BODY_BYTES + " bytes");
            }
        }
        return new Result(ProbeOutcome.BAD_RESPONSE, String.valueOf(cause));
    }

    static Result classify(HttpResponse<byte[]> response) {
        return classify(response.statusCode(), response.body());
    }

    /**
     * Maps status code and JSON body to an outcome ({@link Readiness} is the contract): 200 must say
     * UP, 503 must say DRAINING to drain.
     */
    static Result classify(int statusCode, byte[] body) {
        String status = statusField(body);
        Readiness readiness = Readiness.ofJson(status);
        if (statusCode == 200) {
            return readiness == Readiness.UP
                    ? new Result(ProbeOutcome.UP, "200 UP")
                    : new Result(ProbeOutcome.BAD_RESPONSE, "200 with status " + status);
        }
        if (statusCode == 503) {
            if (readiness == Readiness.DRAINING) {
                return new Result(ProbeOutcome.DRAINING, "503 DRAINING");
            }
            // Any other 503 is a refusal to take traffic, whatever its body says.
            return new Result(ProbeOutcome.DOWN, "503 " + status);
        }
        return new Result(ProbeOutcome.BAD_RESPONSE, "HTTP " + statusCode + " with status " + status);
    }

    private static String statusField(byte[] body) {
        try {
            JsonNode node = JsonBodies.MAPPER.readTree(body);
            JsonNode status = node == null ? null : node.get("status");
            return status != null && status.isString() ? status.asString() : "(none)";
        } catch (JacksonException e) {
            return "(not JSON)";
        }
    }

    @Override
    public void close() {
        client.close();
    }

    private static final class BodyTooLong extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BodyTooLong() {
            super("body longer than " + MAX_BODY_BYTES + " bytes", null, false, false);
        }
    }

    /** Collects the body up to {@link #MAX_BODY_BYTES}, failing beyond that instead of buffering it all. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private Flow.@Nullable Subscription subscription;

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                if (out.size() + b.remaining() > MAX_BODY_BYTES) {
                    Flow.Subscription s = subscription;
                    if (s != null) {
                        s.cancel();
                    }
                    result.completeExceptionally(new BodyTooLong());
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
