package co.airdress.relay.drain;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.health.HealthState;
import java.util.concurrent.CompletableFuture;

/**
 * Drain: readiness turns DRAINING at once (the anycast controller moves the route away), after
 * {@code drain.delay} the listeners stop accepting, and the drain completes when the last
 * connection ends or {@code drain.timeout} passes (then the rest are closed).
 *
 * <p>API contract (stub: implementation pending).
 */
public final class DrainCoordinator {

    /** What a drain acts on: the data-plane listeners and their connections. */
    public interface Target {
        void stopAccepting();

        int activeConnections();

        void closeAll();
    }

    public DrainCoordinator(RelayConfig.Drain config, HealthState health, Target target) {
        throw new UnsupportedOperationException("pending");
    }

    /** Starts draining (idempotent); {@code cause} is logged, e.g. "SIGTERM" or "POST /v1/drain". */
    public void start(String cause) {
        throw new UnsupportedOperationException("pending");
    }

    /** Completes when the drain is over. */
    public CompletableFuture<Void> done() {
        throw new UnsupportedOperationException("pending");
    }
}
