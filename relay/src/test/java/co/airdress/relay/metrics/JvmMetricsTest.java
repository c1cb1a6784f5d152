package co.airdress.relay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JvmMetricsTest {

    @Test
    void theProcessMetersAreScrapedUnderTheirPrometheusNames() {
        RelayMetrics metrics = new RelayMetrics("ams1");
        try (JvmMetrics jvm = JvmMetrics.bindTo(metrics.registry())) {
            System.gc(); // a collection, so that the GC meters have something to show
            assertThat(metrics.scrape())
                    .contains("jvm_memory_used_bytes{")
                    .contains("jvm_gc_")
                    .contains("jvm_threads_live_threads{pop=\"ams1\"}")
                    .contains("jvm_classes_loaded_classes{pop=\"ams1\"}")
                    .contains("process_cpu_usage{pop=\"ams1\"}")
                    .contains("process_uptime_seconds{pop=\"ams1\"}")
                    .contains("process_files_open_files{pop=\"ams1\"}")
                    .contains("process_files_max_files{pop=\"ams1\"}");
        }
    }
}
