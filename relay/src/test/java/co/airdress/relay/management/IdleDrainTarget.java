package co.airdress.relay.management;

import co.airdress.relay.drain.DrainCoordinator;

/** A drain target without listeners or connections, for management tests that need a drain. */
final class IdleDrainTarget implements DrainCoordinator.Target {

    static final IdleDrainTarget INSTANCE = new IdleDrainTarget();

    private IdleDrainTarget() {}

    @Override
    public void stopAccepting() {}

    @Override
    public int activeConnections() {
        return 0;
    }

    @Override
    public void closeAll() {}
}
