package co.airdress.relay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

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
        metrics.retainOperators(List.of("alice", "bob"));
        AtomicInteger alice = metrics.operatorActive("alice");
        alice.incrementAndGet();
        metrics.operatorActive("bob");
        assertThat(metrics.operatorActive("alice")).isSameAs(alice);
        assertThat(operatorsWithGauges()).containsExactly("alice", "bob");
        Gauge gauge = registry.get("relay.operator.active.connections")
                .tag("operator", "alice")
                .gauge();
        assertThat(gauge.value()).isEqualTo(1.0);

        metrics.retainOperators(List.of("bob"));

        assertThat(operatorsWithGauges()).containsExactly("bob");
        // A connection alice still has closes on its own count, which nothing exports any more.
        alice.decrementAndGet();
        assertThat(operatorsWithGauges()).containsExactly("bob");
    }

    @Test
    void aConnectionRoutedBeforeItsOperatorWasRemovedRegistersNothing() {
        metrics.retainOperators(List.of("bob"));
        AtomicInteger late = metrics.operatorActive("alice");
        late.incrementAndGet();
        assertThat(operatorsWithGauges()).isEmpty();

        // Added again: counted afresh.
        metrics.retainOperators(List.of("alice", "bob"));
        assertThat(metrics.operatorActive("alice")).isNotSameAs(late).hasValue(0);
        assertThat(operatorsWithGauges()).containsExactly("alice");
    }

    @Test
    void beforeAnyOperatorsAreKnownEveryOperatorCounts() {
        metrics.operatorActive("alice");
        assertThat(operatorsWithGauges()).containsExactly("alice");
    }
}
