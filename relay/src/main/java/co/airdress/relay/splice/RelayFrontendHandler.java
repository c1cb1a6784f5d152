package co.airdress.relay.splice;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;

/** On the client's channel: relays client bytes to the operator; closes both on the idle timeout. */
public final class RelayFrontendHandler extends SpliceHandler {

    public static final String NAME = "relay-frontend";

    public RelayFrontendHandler(ConnectionRecord record, Counter clientToUpstream) {
        super(record, clientToUpstream);
    }

    @Override
    void counted(long n) {
        record.addClientToUpstream(n);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            record.endedBy(Outcome.IDLE_TIMEOUT);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
