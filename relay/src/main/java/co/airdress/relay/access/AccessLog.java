package co.airdress.relay.access;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per connection, written when the client side closes, on the logger
 * {@value #LOGGER} (its own appender in logback.xml). Fields: time (accept time, UTC), pop,
 * listener, client (ip:port), host, alpn, operator, outcome, bytes_in (client to upstream),
 * bytes_out (upstream to client), duration_ms; a connection carried by the backhaul also has
 * delivery_pop (at the PoP the client reached: the PoP it was handed to) or ingress_pop (at the PoP
 * that delivered it: the PoP the client reached), and client is the original client there too.
 * Nothing secret is in a connection's record.
 */
public final class AccessLog {

    public static final String LOGGER = "co.airdress.relay.access";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private final String pop;

    public AccessLog(String pop) {
        this.pop = requireNonNull(pop, "pop");
    }

    public void write(ConnectionRecord r, long closedNanos) {
        if (!log.isInfoEnabled()) {
            return;
        }
        log.info(line(r, closedNanos));
    }

    String line(ConnectionRecord r, long closedNanos) {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"time\":\"");
        appendInstant(b, r.acceptedMillis());
        b.append('"');
        field(b, "pop", pop);
        field(b, "listener", r.listener().label());
        InetSocketAddress c = r.client();
        field(
                b,
                "client",
                c == null ? null : (c.getAddress() == null ? c.getHostString() : HostPort.formatUncompressed(c)));
        field(b, "host", r.host());
        field(b, "alpn", r.alpn().isEmpty() ? null : String.join(",", r.alpn()));
        field(b, "operator", r.operator() == null ? null : r.operator().name());
        Outcome o = r.outcome();
        field(b, "outcome", o == null ? Outcome.CLOSED.label() : o.label());
        b.append(",\"bytes_in\":").append(r.clientToUpstream());
        b.append(",\"bytes_out\":").append(r.upstreamToClient());
        b.append(",\"duration_ms\":").append((closedNanos - r.acceptedNanos()) / 1_000_000);
        if (r.ingressPop() != null) {
            field(b, "ingress_pop", r.ingressPop());
        }
        if (r.deliveryPop() != null) {
            field(b, "delivery_pop", r.deliveryPop());
        }
        return b.append('}').toString();
    }

    /**
     * Appends what {@code Instant.ofEpochMilli(millis).toString()} gives (ISO-8601 UTC, the
     * milliseconds only when not zero), without the JDK's formatter, which costs more than the rest
     * of the line and runs once per connection. Years outside 0..9999 take the JDK's path.
     */
    static void appendInstant(StringBuilder b, long millis) {
        long seconds = Math.floorDiv(millis, 1000);
        int milli = (int) Math.floorMod(millis, 1000);
        long days = Math.floorDiv(seconds, 86_400);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        // Civil date from days since 1970-01-01 (proleptic Gregorian; eras of 400 years).
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        if (year < 0 || year > 9999) {
            b.append(Instant.ofEpochMilli(millis));
            return;
        }
        digits(b, (int) year, 4);
        b.append('-');
        digits(b, month, 2);
        b.append('-');
        digits(b, day, 2);
        b.append('T');
        digits(b, secondOfDay / 3600, 2);
        b.append(':');
        digits(b, secondOfDay / 60 % 60, 2);
        b.append(':');
        digits(b, secondOfDay % 60, 2);
        if (milli != 0) {
            b.append('.');
            digits(b, milli, 3);
        }
        b.append('Z');
    }

    private static void digits(StringBuilder b, int value, int width) {
        for (int scale = width == 4 ? 1000 : width == 3 ? 100 : 10; scale > 0; scale /= 10) {
            b.append((char) ('0' + value / scale % 10));
        }
    }

    private static void field(StringBuilder b, String name, @org.jspecify.annotations.Nullable String value) {
        b.append(",\"").append(name).append("\":");
        if (value == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20 || ch == 0x7f) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        b.append('"');
    }
}
