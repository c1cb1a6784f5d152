package co.airdress.relay.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The relay's meter registry. Data-path meters are registered once here (not looked up per
 * connection) and held in fields by the handlers that update them.
 */
public final class RelayMetrics {

    private final PrometheusMeterRegistry registry;

    public RelayMetrics(String pop) {
        requireNonNull(pop, "pop");
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("pop", pop);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }
}
