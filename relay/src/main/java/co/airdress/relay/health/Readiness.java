package co.airdress.relay.health;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A readiness status as {@code /readyz} reports it, and as the anycast controller reads it: its
 * JSON form, the {@code "status"} field, is the name ({@code "UP"}, {@code "DRAINING"},
 * {@code "DOWN"}). BGP announcements follow this word, so it never changes: 200 with UP keeps the
 * VIP announced, 503 with DRAINING drains it at once (GRACEFUL_SHUTDOWN), any other 503 withdraws
 * it after the controller's {@code --fall} probes. The checks inside {@code /readyz} and
 * {@code /livez} use the same words.
 */
public enum Readiness {
    /** Takes traffic: answered with 200. */
    UP,
    /** Finishing its connections, taking no new ones soon: answered with 503. */
    DRAINING,
    /** Takes no traffic: answered with 503. */
    DOWN;

    /** The HTTP status {@code /readyz} answers with. */
    public int httpStatus() {
        return this == UP ? 200 : 503;
    }

    /** The status a JSON {@code "status"} value names, exactly as written; null for anything else. */
    public static @Nullable Readiness ofJson(String text) {
        requireNonNull(text, "text");
        for (Readiness r : values()) {
            if (r.name().equals(text)) {
                return r;
            }
        }
        return null;
    }

    /** UP when {@code up}, else DOWN: the status of a check that is either met or not. */
    public static Readiness upIf(boolean up) {
        return up ? UP : DOWN;
    }
}
