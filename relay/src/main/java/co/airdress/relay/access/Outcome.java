package co.airdress.relay.access;

import java.util.Locale;

/** How a connection ended, from the relay's point of view: one per connection, in metrics and the access log. */
public enum Outcome {
    /** Routed and relayed; ended by either side. */
    RELAYED,
    /** Relayed, then closed after the idle timeout. */
    IDLE_TIMEOUT,
    /** No operator owns the host (alert 112 / 404). */
    UNKNOWN_HOST,
    /** No SNI, or an HTTP/1.0 request without a host (alert 40 / 400). */
    NO_HOST,
    /** Not TLS on the TLS listener (closed) or not HTTP/1.x on the HTTP listener (400). */
    NOT_PROTOCOL,
    /** ClientHello or request head over the limit (alert 40 / 431). */
    TOO_LARGE,
    /** Breaks the protocol grammar or the host rules (alert 50 / 400). */
    MALFORMED,
    /** Nothing decidable before the peek timeout (closed / 408). */
    PEEK_TIMEOUT,
    /** The client went away before the peek decided. */
    PEEK_CLOSED,
    /** The operator's upstream could not be reached (alert 80 / 502). */
    UNREACHABLE,
    /** Over a connection or peeking limit: closed without reading. */
    OVER_LIMIT,
    /** The client went away while the relay dialed the operator. */
    CLIENT_CLOSED,
    /** Closed by a drain that ran out of time, or an unexpected error. */
    CLOSED;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }
}
