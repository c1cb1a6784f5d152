package co.airdress.relay.drain;

import static java.util.Objects.requireNonNull;

import java.util.function.IntSupplier;

/**
 * A drain target for tests of the management side without a data plane: nothing to stop or close,
 * and as many active connections as {@code active} says.
 */
public final class StandInTarget implements DrainCoordinator.Target {

    private final IntSupplier active;

    public StandInTarget(IntSupplier active) {
        this.active = requireNonNull(active, "active");
    }

    /** No connections, ever. */
    public StandInTarget() {
        this(() -> 0);
    }

    @Override
    public void stopAccepting() {}

    @Override
    public int activeConnections() {
        return active.getAsInt();
    }

    @Override
    public void closeAll() {}
}
