package co.airdress.relay.management;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;

/**
 * The management listener (Netty HTTP): GET /livez, GET /readyz, GET /metrics, GET /v1/operators,
 * GET/PUT/DELETE /v1/operators/{name}, POST /v1/drain.
 *
 * <p>API contract (stub: implementation pending).
 */
public final class ManagementServer implements AutoCloseable {

    public ManagementServer(
            RelayConfig.Management config,
            HealthState health,
            RelayMetrics metrics,
            OperatorStore operators,
            DrainCoordinator drain) {
        throw new UnsupportedOperationException("pending");
    }

    /** Binds on {@code group} (the daemon's event loops, or its own) and returns the bound address. */
    public InetSocketAddress start(EventLoopGroup group) {
        throw new UnsupportedOperationException("pending");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("pending");
    }
}
