package co.airdress.relay.refusal;

import co.airdress.relay.access.Outcome;
import org.jspecify.annotations.Nullable;

/**
 * Why the relay refuses a connection, and what the client gets: on the TLS listener a fatal
 * alert record (RFC 8446 §6), on the HTTP listener an HTTP/1.1 response with
 * {@code Connection: close}; then the relay closes.
 */
public enum Refusal {
    /** No operator owns the host: unrecognized_name(112) / 404. */
    UNKNOWN_HOST(Outcome.UNKNOWN_HOST, 112, 404, "Not Found", "no route for this host"),
    /** No SNI / no Host to route by: handshake_failure(40) / 400. */
    NO_HOST(Outcome.NO_HOST, 40, 400, "Bad Request", "no host to route by"),
    /** Not HTTP/1.x on the HTTP listener: 400; on the TLS listener not TLS: closed without an alert. */
    NOT_PROTOCOL(Outcome.NOT_PROTOCOL, -1, 400, "Bad Request", "not an HTTP/1.x request"),
    /** ClientHello or head over the limit: handshake_failure(40) / 431. */
    TOO_LARGE(Outcome.TOO_LARGE, 40, 431, "Request Header Fields Too Large", "request head too large"),
    /** Breaks the grammar or the host rules: decode_error(50) / 400. */
    MALFORMED(Outcome.MALFORMED, 50, 400, "Bad Request", "malformed request"),
    /** The operator cannot be reached: internal_error(80) / 502. */
    UNREACHABLE(Outcome.UNREACHABLE, 80, 502, "Bad Gateway", "the operator is unreachable"),
    /** Nothing decidable in time: closed without an alert / 408. */
    PEEK_TIMEOUT(Outcome.PEEK_TIMEOUT, -1, 408, "Request Timeout", "request head not received in time");

    private final Outcome outcome;
    private final int alert;
    private final int status;
    private final String reason;
    private final String body;

    Refusal(Outcome outcome, int alert, int status, String reason, String body) {
        this.outcome = outcome;
        this.alert = alert;
        this.status = status;
        this.reason = reason;
        this.body = body;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The TLS AlertDescription, or -1 when the TLS listener closes without an alert. */
    public int alert() {
        return alert;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    public @Nullable String body() {
        return body;
    }
}
