package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backhaul's meters, per peer PoP and direction ({@code out}: this PoP handed a connection to
 * the peer; {@code in}: the peer handed one to this PoP):
 *
 * <ul>
 *   <li>{@code relay_backhaul_connections_total{direction,pop}}: connections handed over (out:
 *       once the peer's listener accepted; in: once the header was read);
 *   <li>{@code relay_backhaul_bytes_total{direction,pop,way}}: bytes relayed on them, {@code way}
 *       {@code client_to_upstream} or {@code upstream_to_client}, counted when they close;
 *   <li>{@code relay_backhaul_dial_seconds{pop}}: time to connect to the peer's listener;
 *   <li>{@code relay_backhaul_refusals_total{reason}}: connections the backhaul refused or could
 *       not carry ({@link Refusal}).
 * </ul>
 *
 * Meters per PoP are created on first use; the number of PoPs is bounded by {@code max_pops}.
 */
public final class BackhaulMetrics {

    /** Why a backhaul connection was refused or failed. */
    public enum Refusal {
        /** Accepted from an address that is no mesh peer's. */
        NOT_A_PEER("not_a_peer"),
        /** The PROXY header did not arrive within {@code header_timeout}. */
        HEADER_TIMEOUT("header_timeout"),
        /** The PROXY header announced more than {@code max_header} bytes. */
        HEADER_TOO_BIG("header_too_big"),
        /** Not a PROXY v2 header, or one without the addresses, AUTHORITY or ingress PoP. */
        HEADER_MALFORMED("header_malformed"),
        /** A backhauled connection for an operator attached elsewhere: never backhauled twice. */
        NOT_LOCAL("not_local"),
        /** The operator is attached at a PoP that is not in the mesh: delivered locally if it can be. */
        UNKNOWN_POP("unknown_pop"),
        /** The peer PoP's listener could not be reached. */
        DIAL_FAILED("dial_failed"),
        /**
         * The operator re-attached at another PoP while this PoP dialed the old one: that dial was
         * abandoned and the connection dialed again where the operator is now.
         */
        ATTACHMENT_MOVED("attachment_moved");

        private final String label;

        Refusal(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final MeterRegistry registry;
    private final Map<String, Counter> connections = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytes = new ConcurrentHashMap<>();
    private final Map<String, Timer> dial = new ConcurrentHashMap<>();
    private final Map<Refusal, Counter> refusals = new ConcurrentHashMap<>();

    public BackhaulMetrics(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry");
        for (Refusal r : Refusal.values()) {
            refusals.put(
                    r,
                    Counter.builder("relay.backhaul.refusals")
                            .description("Backhaul connections refused or not carried, by reason")
                            .tag("reason", r.label())
                            .register(registry));
        }
    }

    public void connection(String direction, String pop) {
        connections
                .computeIfAbsent(
                        direction + '\0' + pop,
                        k -> Counter.builder("relay.backhaul.connections")
                                .description("Connections handed over the backhaul, by direction and peer PoP")
                                .tag("direction", direction)
                                .tag("pop", pop)
                                .register(registry))
                .increment();
    }

    public void bytes(String direction, String pop, long clientToUpstream, long upstreamToClient) {
        bytesCounter(direction, pop, "client_to_upstream").increment(clientToUpstream);
        bytesCounter(direction, pop, "upstream_to_client").increment(upstreamToClient);
    }

    private Counter bytesCounter(String direction, String pop, String way) {
        return bytes.computeIfAbsent(
                direction + '\0' + pop + '\0' + way,
                k -> Counter.builder("relay.backhaul.bytes")
                        .description("Bytes relayed on backhaul connections, counted when they close")
                        .tag("direction", direction)
                        .tag("pop", pop)
                        .tag("way", way)
                        .register(registry));
    }

    public void dialTime(String pop, long nanos) {
        dial.computeIfAbsent(
                        pop,
                        p -> Timer.builder("relay.backhaul.dial")
                                .description("Time to connect to a peer PoP's backhaul listener")
                                .tag("pop", p)
                                .register(registry))
                .record(Duration.ofNanos(nanos));
    }

    public void refused(Refusal reason) {
        refusals.get(reason).increment();
    }

    /** Test and status reads. */
    public double refusals(Refusal reason) {
        return refusals.get(reason).count();
    }
}
