package co.airdress.relay.metrics;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.Outcome;
import co.airdress.relay.listen.Listener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The data path's meters, registered once at startup; handlers hold this object and update meters
 * through array/enum lookups, never a registry lookup per connection (per-operator gauges are
 * created on an operator's first routed connection, and removed with the operator: {@link
 * #retainOperators}).
 *
 * <p>Names as Prometheus shows them: {@code relay_connections_accepted_total{listener}},
 * {@code relay_connections_active{listener}}, {@code relay_connections_closed_total{listener,outcome}},
 * {@code relay_peek_total{listener,result}}, {@code relay_bytes_total{listener,direction}}
 * (client_to_upstream, upstream_to_client), {@code relay_upstream_connect_seconds{listener}}
 * (histogram), {@code relay_operator_active_connections{operator}},
 * {@code relay_operator_connections_total{operator,outcome}}, {@code relay_operator_bytes_total{operator,direction}};
 * each also carries {@code pop}.
 * The route table's size and version are registered by the operator directory.
 */
public final class DataPathMetrics {

    /** Peek results, as Envoy's tls_inspector counts them. */
    public enum PeekResult {
        FOUND,
        NO_HOST,
        NOT_PROTOCOL,
        TOO_LARGE,
        TIMEOUT,
        MALFORMED;

        String label(Listener listener) {
            boolean tls = listener == Listener.TLS;
            return switch (this) {
                case FOUND -> tls ? "sni_found" : "host_found";
                case NO_HOST -> tls ? "no_sni" : "no_host";
                case NOT_PROTOCOL -> tls ? "not_tls" : "not_http";
                case TOO_LARGE -> "too_large";
                case TIMEOUT -> "timeout";
                case MALFORMED -> "malformed";
            };
        }
    }

    private final MeterRegistry registry;
    private final Map<Listener, Counter> accepted = new EnumMap<>(Listener.class);
    private final Map<Listener, AtomicInteger> active = new EnumMap<>(Listener.class);
    private final Map<Listener, Map<Outcome, Counter>> closed = new EnumMap<>(Listener.class);
    private final Map<Listener, Map<PeekResult, Counter>> peeks = new EnumMap<>(Listener.class);
    private final Map<Listener, Counter> clientToUpstream = new EnumMap<>(Listener.class);
    private final Map<Listener, Counter> upstreamToClient = new EnumMap<>(Listener.class);
    private final Map<Listener, Timer> connect = new EnumMap<>(Listener.class);
    private final ConcurrentHashMap<String, OperatorMeters> perOperator = new ConcurrentHashMap<>();
    // Guarded by this: whether an operator is in force (null until the first retainOperators:
    // every operator then counts).
    private @Nullable Predicate<String> operators;

    /**
     * The outcomes a connection routed to an operator can end with, each counted per operator;
     * anything else is counted as {@code closed}.
     */
    static final Set<Outcome> ROUTED_OUTCOMES = EnumSet.of(
            Outcome.RELAYED, Outcome.IDLE_TIMEOUT, Outcome.UNREACHABLE, Outcome.CLIENT_CLOSED, Outcome.CLOSED);

    /**
     * One operator's meters, registered together on its first routed connection: relayed
     * connections open now, routed connections closed by outcome, and their bytes. Detached (not
     * exported) for an operator no longer in force.
     */
    private static final class OperatorMeters {
        final AtomicInteger active = new AtomicInteger();
        final Map<Outcome, Counter> closed = new EnumMap<>(Outcome.class);
        final @Nullable Counter clientToUpstream;
        final @Nullable Counter upstreamToClient;
        final List<Meter> meters = new ArrayList<>();

        /** Detached. */
        OperatorMeters() {
            this.clientToUpstream = null;
            this.upstreamToClient = null;
        }

        OperatorMeters(MeterRegistry registry, String operator) {
            meters.add(Gauge.builder("relay.operator.active.connections", active, AtomicInteger::get)
                    .description("Relayed connections open now, by operator")
                    .tag("operator", operator)
                    .register(registry));
            for (Outcome o : ROUTED_OUTCOMES) {
                Counter c = Counter.builder("relay.operator.connections")
                        .description("Connections routed to the operator, closed, by outcome")
                        .tag("operator", operator)
                        .tag("outcome", o.label())
                        .register(registry);
                closed.put(o, c);
                meters.add(c);
            }
            clientToUpstream = operatorBytes(registry, operator, "client_to_upstream");
            upstreamToClient = operatorBytes(registry, operator, "upstream_to_client");
            meters.add(clientToUpstream);
            meters.add(upstreamToClient);
        }

        private static Counter operatorBytes(MeterRegistry registry, String operator, String direction) {
            return Counter.builder("relay.operator.bytes")
                    .baseUnit("bytes")
                    .description("Bytes relayed for the operator, added when the connection closes")
                    .tag("operator", operator)
                    .tag("direction", direction)
                    .register(registry);
        }

        void closed(Outcome o, long toUpstream, long toClient) {
            if (clientToUpstream == null || upstreamToClient == null) {
                return;
            }
            Counter c = closed.get(o);
            (c != null ? c : closed.get(Outcome.CLOSED)).increment();
            clientToUpstream.increment(toUpstream);
            upstreamToClient.increment(toClient);
        }
    }

    public DataPathMetrics(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry");
        for (Listener l : Listener.values()) {
            accepted.put(
                    l,
                    Counter.builder("relay.connections.accepted")
                            .description("Connections accepted")
                            .tag("listener", l.label())
                            .register(registry));
            AtomicInteger a = new AtomicInteger();
            active.put(l, a);
            Gauge.builder("relay.connections.active", a, AtomicInteger::get)
                    .description("Client connections open now")
                    .tag("listener", l.label())
                    .register(registry);
            Map<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                byOutcome.put(
                        o,
                        Counter.builder("relay.connections.closed")
                                .description("Client connections closed, by outcome")
                                .tag("listener", l.label())
                                .tag("outcome", o.label())
                                .register(registry));
            }
            closed.put(l, byOutcome);
            Map<PeekResult, Counter> byResult = new EnumMap<>(PeekResult.class);
            for (PeekResult r : PeekResult.values()) {
                byResult.put(
                        r,
                        Counter.builder("relay.peek")
                                .description("Peek results")
                                .tag("listener", l.label())
                                .tag("result", r.label(l))
                                .register(registry));
            }
            peeks.put(l, byResult);
            clientToUpstream.put(
                    l,
                    Counter.builder("relay.bytes")
                            .baseUnit("bytes")
                            .description("Bytes relayed")
                            .tag("listener", l.label())
                            .tag("direction", "client_to_upstream")
                            .register(registry));
            upstreamToClient.put(
                    l,
                    Counter.builder("relay.bytes")
                            .baseUnit("bytes")
                            .description("Bytes relayed")
                            .tag("listener", l.label())
                            .tag("direction", "upstream_to_client")
                            .register(registry));
            connect.put(
                    l,
                    Timer.builder("relay.upstream.connect")
                            .description("Time to connect to an operator's upstream (successful or not)")
                            .tag("listener", l.label())
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofMillis(0).plusNanos(100_000))
                            .maximumExpectedValue(Duration.ofSeconds(30))
                            .register(registry));
        }
    }

    public void accepted(Listener l) {
        accepted.get(l).increment();
        active.get(l).incrementAndGet();
    }

    public void closed(Listener l, Outcome o) {
        active.get(l).decrementAndGet();
        closed.get(l).get(o).increment();
    }

    public void peek(Listener l, PeekResult r) {
        peeks.get(l).get(r).increment();
    }

    public Counter clientToUpstream(Listener l) {
        return clientToUpstream.get(l);
    }

    public Counter upstreamToClient(Listener l) {
        return upstreamToClient.get(l);
    }

    public void connectTime(Listener l, long nanos) {
        connect.get(l).record(Duration.ofNanos(nanos));
    }

    /**
     * The operator's active-connection count, exported as a gauge (created with the operator's
     * other meters on first use). For an operator no longer in force (its connection was routed
     * before it was removed) the count is exported nowhere.
     */
    public AtomicInteger operatorActive(String operator) {
        return operatorMeters(operator).active;
    }

    /**
     * Counts a closed connection that was routed to {@code operator}: its outcome and its bytes
     * each way. Once per connection, on its event loop.
     */
    public void operatorClosed(String operator, Outcome outcome, long clientToUpstream, long upstreamToClient) {
        operatorMeters(operator).closed(outcome, clientToUpstream, upstreamToClient);
    }

    /** Relayed connections open now for {@code operator} (0 before its first). */
    public int operatorActiveNow(String operator) {
        OperatorMeters m = perOperator.get(operator);
        return m == null ? 0 : m.active.get();
    }

    private OperatorMeters operatorMeters(String operator) {
        OperatorMeters existing = perOperator.get(operator);
        if (existing != null) {
            return existing;
        }
        synchronized (this) {
            existing = perOperator.get(operator);
            if (existing != null) {
                return existing;
            }
            Predicate<String> inForce = operators;
            if (inForce != null && !inForce.test(operator)) {
                return new OperatorMeters();
            }
            OperatorMeters m = new OperatorMeters(registry, operator);
            perOperator.put(operator, m);
            return m;
        }
    }

    /**
     * Removes the meters of every operator that {@code inForce} no longer accepts (it answers for
     * the operators in force now, and from now on: e.g. a look-up in the operator directory); the
     * connections such an operator still has are no longer counted by operator. Costs the number
     * of operators with meters, not the size of the directory.
     */
    public synchronized void retainOperators(Predicate<String> inForce) {
        operators = requireNonNull(inForce, "inForce");
        for (Iterator<Map.Entry<String, OperatorMeters>> it =
                        perOperator.entrySet().iterator();
                it.hasNext(); ) {
            Map.Entry<String, OperatorMeters> e = it.next();
            if (!inForce.test(e.getKey())) {
                e.getValue().meters.forEach(registry::remove);
                it.remove();
            }
        }
    }

    /** Connections accepted on {@code l} since start. */
    public long acceptedCount(Listener l) {
        return (long) accepted.get(l).count();
    }

    /** Connections on {@code l} closed with outcome {@code o} since start. */
    public long closedCount(Listener l, Outcome o) {
        return (long) closed.get(l).get(o).count();
    }

    public int active(Listener l) {
        return active.get(l).get();
    }
}
