package co.airdress.relay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.Outcome;
import co.airdress.relay.listen.Listener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DataPathMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DataPathMetrics metrics = new DataPathMetrics(registry);

    private List<String> operatorsWithGauges() {
        return registry.find("relay.operator.active.connections").gauges().stream()
                .map(g -> g.getId().getTag("operator"))
                .sorted()
                .toList();
    }

    @Test
    void anOperatorsGaugeAppearsOnItsFirstConnectionAndGoesWithTheOperator() {
        metrics.retainOperators(List.of("alice", "bob")::contains);
        AtomicInteger alice = metrics.operatorActive("alice");
        alice.incrementAndGet();
        metrics.operatorActive("bob");
        assertThat(metrics.operatorActive("alice")).isSameAs(alice);
        assertThat(operatorsWithGauges()).containsExactly("alice", "bob");
        Gauge gauge = registry.get("relay.operator.active.connections")
                .tag("operator", "alice")
                .gauge();
        assertThat(gauge.value()).isEqualTo(1.0);

        metrics.retainOperators(List.of("bob")::contains);

        assertThat(operatorsWithGauges()).containsExactly("bob");
        // A connection alice still has closes on its own count, which nothing exports any more.
        alice.decrementAndGet();
        assertThat(operatorsWithGauges()).containsExactly("bob");
    }

    @Test
    void aConnectionRoutedBeforeItsOperatorWasRemovedRegistersNothing() {
        metrics.retainOperators(List.of("bob")::contains);
        AtomicInteger late = metrics.operatorActive("alice");
        late.incrementAndGet();
        assertThat(operatorsWithGauges()).isEmpty();

        // Added again: counted afresh.
        metrics.retainOperators(List.of("alice", "bob")::contains);
        assertThat(metrics.operatorActive("alice")).isNotSameAs(late).hasValue(0);
        assertThat(operatorsWithGauges()).containsExactly("alice");
    }

    @Test
    void beforeAnyOperatorsAreKnownEveryOperatorCounts() {
        metrics.operatorActive("alice");
        assertThat(operatorsWithGauges()).containsExactly("alice");
    }

    private double operatorCounter(String name, String operator, String key, String value) {
        return registry.get(name)
                .tag("operator", operator)
                .tag(key, value)
                .counter()
                .count();
    }

    @Test
    void routedConnectionsAreCountedPerOperatorByOutcomeWithTheirBytes() {
        metrics.retainOperators(List.of("alice")::contains);
        metrics.operatorClosed("alice", Outcome.RELAYED, 100, 2000);
        metrics.operatorClosed("alice", Outcome.UNREACHABLE, 517, 0);
        metrics.operatorClosed("alice", Outcome.UNREACHABLE, 517, 0);
        // Not an outcome a routed connection ends with: counted as closed.
        metrics.operatorClosed("alice", Outcome.OVER_LIMIT, 0, 0);

        assertThat(operatorCounter("relay.operator.connections", "alice", "outcome", "relayed"))
                .isEqualTo(1);
        assertThat(operatorCounter("relay.operator.connections", "alice", "outcome", "unreachable"))
                .isEqualTo(2);
        assertThat(operatorCounter("relay.operator.connections", "alice", "outcome", "closed"))
                .isEqualTo(1);
        assertThat(operatorCounter("relay.operator.connections", "alice", "outcome", "idle_timeout"))
                .isZero();
        assertThat(operatorCounter("relay.operator.bytes", "alice", "direction", "client_to_upstream"))
                .isEqualTo(1134);
        assertThat(operatorCounter("relay.operator.bytes", "alice", "direction", "upstream_to_client"))
                .isEqualTo(2000);
        assertThat(registry.find("relay.operator.connections").counters())
                .hasSize(DataPathMetrics.ROUTED_OUTCOMES.size());

        metrics.retainOperators(List.of()::contains);
        assertThat(registry.find("relay.operator.connections").counters()).isEmpty();
        assertThat(registry.find("relay.operator.bytes").counters()).isEmpty();
        // A connection closing after its operator was removed is counted nowhere.
        metrics.operatorClosed("alice", Outcome.RELAYED, 1, 1);
        assertThat(registry.find("relay.operator.connections").counters()).isEmpty();
    }

    @Test
    void theStatusPageReadsCountsWithoutCreatingMeters() {
        assertThat(metrics.operatorActiveNow("alice")).isZero();
        assertThat(operatorsWithGauges()).isEmpty();
        metrics.operatorActive("alice").incrementAndGet();
        assertThat(metrics.operatorActiveNow("alice")).isEqualTo(1);

        metrics.accepted(Listener.TLS);
        metrics.accepted(Listener.TLS);
        metrics.closed(Listener.TLS, Outcome.UNKNOWN_HOST);
        assertThat(metrics.acceptedCount(Listener.TLS)).isEqualTo(2);
        assertThat(metrics.acceptedCount(Listener.HTTP)).isZero();
        assertThat(metrics.closedCount(Listener.TLS, Outcome.UNKNOWN_HOST)).isEqualTo(1);
        assertThat(metrics.active(Listener.TLS)).isEqualTo(1);
    }
}
