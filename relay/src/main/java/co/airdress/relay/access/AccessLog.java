package co.airdress.relay.access;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per connection, written when the client side closes, on the logger
 * {@value #LOGGER} (its own appender in logback.xml). Fields: time (accept time, UTC), pop,
 * listener, client (ip:port), host, alpn, operator, outcome, bytes_in (client to upstream),
 * bytes_out (upstream to client), duration_ms. Nothing secret is in a connection's record.
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
        b.append("{\"time\":\"").append(Instant.ofEpochMilli(r.acceptedMillis())).append('"');
        field(b, "pop", pop);
        field(b, "listener", r.listener().label());
        InetSocketAddress c = r.client();
        field(b, "client", c == null ? null : (c.getAddress() == null ? c.getHostString() : hostPort(c)));
        field(b, "host", r.host());
        field(b, "alpn", r.alpn().isEmpty() ? null : String.join(",", r.alpn()));
        field(b, "operator", r.operator() == null ? null : r.operator().name());
        Outcome o = r.outcome();
        field(b, "outcome", o == null ? Outcome.CLOSED.label() : o.label());
        b.append(",\"bytes_in\":").append(r.clientToUpstream());
        b.append(",\"bytes_out\":").append(r.upstreamToClient());
        b.append(",\"duration_ms\":").append((closedNanos - r.acceptedNanos()) / 1_000_000);
        return b.append('}').toString();
    }

    private static String hostPort(InetSocketAddress a) {
        String ip = a.getAddress().getHostAddress();
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + a.getPort();
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
