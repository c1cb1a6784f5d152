package co.airdress.relay.splice;

import co.airdress.relay.access.ConnectionRecord;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;

/**
 * On the operator's channel: relays operator bytes to the client. Created by the dial step before
 * the connection exists; it relays only after {@link Splice#start} pairs it with the frontend.
 */
public final class RelayBackendHandler extends SpliceHandler {

    public static final String NAME = "relay-backend";

    public RelayBackendHandler(ConnectionRecord record, Counter upstreamToClient) {
        super(record, upstreamToClient);
    }

    @Override
    void counted(long n) {
        record.addUpstreamToClient(n);
    }

    /** Used by {@link Splice} to pair. */
    void pairWith(RelayFrontendHandler front, Channel client, Channel upstream) {
        SpliceHandler.pair(front, client, this, upstream);
    }
}
