package co.airdress.relay.metrics;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.Outcome;
import co.airdress.relay.listen.Listener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The data path's meters, registered once at startup; handlers hold this object and update meters
 * through array/enum lookups, never a registry lookup per connection (per-operator gauges are
 * created on an operator's first connection, and removed with the operator: {@link
 * #retainOperators}).
 *
 * <p>Names as Prometheus shows them: {@code relay_connections_accepted_total{listener}},
 * {@code relay_connections_active{listener}}, {@code relay_connections_closed_total{listener,outcome}},
 * {@code relay_peek_total{listener,result}}, {@code relay_bytes_total{listener,direction}}
 * (client_to_upstream, upstream_to_client), {@code relay_upstream_connect_seconds{listener}}
 * (histogram), {@code relay_operator_active_connections{operator}}; each also carries {@code pop}.
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
    private final ConcurrentHashMap<String, AtomicInteger> perOperator = new ConcurrentHashMap<>();
    // Guarded by this: the registered per-operator gauges, and the operators in force (null until
    // the first retainOperators: every operator then counts).
    private final Map<String, Gauge> operatorGauges = new HashMap<>();
    private @Nullable Set<String> operators;

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
     * The operator's active-connection count, exported as a gauge (created on first use). For an
     * operator no longer in force (its connection was routed before it was removed) the count is
     * exported nowhere.
     */
    public AtomicInteger operatorActive(String operator) {
        AtomicInteger existing = perOperator.get(operator);
        if (existing != null) {
            return existing;
        }
        synchronized (this) {
            existing = perOperator.get(operator);
            if (existing != null) {
                return existing;
            }
            AtomicInteger n = new AtomicInteger();
            Set<String> inForce = operators;
            if (inForce != null && !inForce.contains(operator)) {
                return n;
            }
            operatorGauges.put(
                    operator,
                    Gauge.builder("relay.operator.active.connections", n, AtomicInteger::get)
                            .description("Relayed connections open now, by operator")
                            .tag("operator", operator)
                            .register(registry));
            perOperator.put(operator, n);
            return n;
        }
    }

    /**
     * Removes the meters of every operator not in {@code names}, the operators now in force; the
     * connections such an operator still has are no longer counted by operator.
     */
    public synchronized void retainOperators(Collection<String> names) {
        Set<String> inForce = Set.copyOf(names);
        operators = inForce;
        for (Iterator<Map.Entry<String, Gauge>> it = operatorGauges.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Gauge> e = it.next();
            if (!inForce.contains(e.getKey())) {
                registry.remove(e.getValue());
                perOperator.remove(e.getKey());
                it.remove();
            }
        }
    }

    public int active(Listener l) {
        return active.get(l).get();
    }
}
