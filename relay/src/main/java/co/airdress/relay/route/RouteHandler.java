package co.airdress.relay.route;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.peek.Peeked;
import co.airdress.relay.refusal.Answers;
import co.airdress.relay.refusal.Refusal;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Step 3, route: looks the peeked host up in the table in force at this moment (a reload later
 * does not move this connection), records the operator, passes the {@link Peeked} on and removes
 * itself; an unknown host is answered with unrecognized_name / 404.
 */
public final class RouteHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "route";

    private final ConnectionRecord record;
    private final Routes routes;

    public RouteHandler(ConnectionRecord record, Routes routes) {
        this.record = requireNonNull(record, "record");
        this.routes = requireNonNull(routes, "routes");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Peeked peeked)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Operator op = routes.current().lookup(peeked.host());
        if (op == null || !serves(op, record.listener())) {
            int version = peeked.recordVersion();
            peeked.release();
            Answers.refuse(ctx, record, Refusal.UNKNOWN_HOST, version);
            return;
        }
        record.operator(op);
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(peeked);
    }

    /** An operator with a direct upstream serves only the listeners it has an address for. */
    private static boolean serves(Operator op, Listener listener) {
        Upstream u = op.upstream();
        if (u == null) {
            return true; // a tunnelled operator: its dialer decides
        }
        return (listener == Listener.HTTP ? u.http() : u.tls()) != null;
    }
}
