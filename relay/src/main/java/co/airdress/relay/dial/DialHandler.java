package co.airdress.relay.dial;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.config.Operator;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.peek.Peeked;
import co.airdress.relay.proxy.ProxyHeader;
import co.airdress.relay.refusal.Answers;
import co.airdress.relay.refusal.Refusal;
import co.airdress.relay.splice.RelayBackendHandler;
import co.airdress.relay.splice.RelayFrontendHandler;
import co.airdress.relay.splice.Splice;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Step 4-6: dials the routed operator, writes the PROXY header (if the operator wants one) and
 * the peeked bytes, then hands the connection to the splice. The client is not read while this
 * runs, except that Netty reads a socket to its end when the client's FIN arrives: those bytes and
 * the end of input are held here and passed to the splice once it starts. They are what the
 * kernel had buffered, and the socket's receive buffer does not grow while the relay is not
 * reading (tcp_rmem's default, 128 KiB). An unreachable operator is answered with internal_error /
 * 502, unless the dialer reports that the operator's route moved while it dialed
 * ({@link OperatorDialer#rerouted}): then the operator is dialed once more, where it is now.
 */
public final class DialHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "dial";

    private final ConnectionRecord record;
    private final OperatorDialer dialer;
    private final DataPathMetrics metrics;
    private final String pop;
    private final Duration idle;
    private @Nullable Channel upstream;
    private @Nullable List<ByteBuf> early;
    private boolean inputEnded;

    public DialHandler(
            ConnectionRecord record, OperatorDialer dialer, DataPathMetrics metrics, String pop, Duration idle) {
        this.record = requireNonNull(record, "record");
        this.dialer = requireNonNull(dialer, "dialer");
        this.metrics = requireNonNull(metrics, "metrics");
        this.pop = requireNonNull(pop, "pop");
        this.idle = requireNonNull(idle, "idle");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && upstream != null) {
            // The rest of the client's bytes, read with its FIN while the operator is dialed.
            if (early == null) {
                early = new ArrayList<>(2);
            }
            early.add(b);
            return;
        }
        if (!(msg instanceof Peeked peeked) || upstream != null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Operator op = record.operator();
        if (op == null || !dialer.mayReach(op, record.listener())) {
            int version = peeked.recordVersion();
            peeked.release();
            Answers.refuse(ctx, record, Refusal.UNREACHABLE, version);
            return;
        }
        dial(ctx, op, peeked, true);
    }

    /** Dials {@code op}; {@code mayRetry}: once more if the dial fails because the route moved. */
    private void dial(ChannelHandlerContext ctx, Operator op, Peeked peeked, boolean mayRetry) {
        Channel client = ctx.channel();
        RelayBackendHandler back = new RelayBackendHandler(record, metrics.upstreamToClient(record.listener()));
        long start = System.nanoTime();
        ChannelFuture connect = dialer.dial(client, op, record.listener(), back);
        Channel up = connect.channel();
        upstream = up;
        connect.addListener((ChannelFutureListener) f -> {
            metrics.connectTime(record.listener(), System.nanoTime() - start);
            if (!f.isSuccess()) {
                if (mayRetry && client.isActive() && dialer.rerouted(op, up)) {
                    dial(ctx, op, peeked, false);
                    return;
                }
                int version = peeked.recordVersion();
                peeked.release();
                if (client.isActive()) {
                    Answers.refuse(ctx, record, Refusal.UNREACHABLE, version);
                }
                return;
            }
            if (!client.isActive()) {
                record.outcome(Outcome.CLIENT_CLOSED);
                peeked.release();
                up.close();
                return;
            }
            relay(ctx, op, peeked, up, back);
        });
    }

    private void relay(ChannelHandlerContext ctx, Operator op, Peeked peeked, Channel up, RelayBackendHandler back) {
        Channel client = ctx.channel();
        HAProxyMessage header = dialer.header(client, up, op, peeked, pop);
        if (header != null) {
            ProxyHeader.write(up, header);
        }
        int replayed = peeked.content().readableBytes();
        record.addClientToUpstream(replayed);
        metrics.clientToUpstream(record.listener()).increment(replayed);
        up.writeAndFlush(peeked.content()).addListener((ChannelFutureListener) w -> {
            if (!w.isSuccess()) {
                record.outcome(Outcome.UNREACHABLE);
                up.close();
                client.close();
                return;
            }
            if (!client.isActive()) {
                up.close();
                return;
            }
            record.outcome(Outcome.RELAYED);
            AtomicInteger perOperator = metrics.operatorActive(op.name());
            perOperator.incrementAndGet();
            up.closeFuture().addListener(c -> perOperator.decrementAndGet());
            RelayFrontendHandler front = new RelayFrontendHandler(record, metrics.clientToUpstream(record.listener()));
            List<ByteBuf> held = early;
            early = null;
            boolean ended = inputEnded;
            Splice.start(client, this, front, up, back, idle);
            // What arrived during the dial goes through the splice as if read now.
            ChannelPipeline p = client.pipeline();
            if (held != null) {
                held.forEach(p::fireChannelRead);
                p.fireChannelReadComplete();
            }
            if (ended) {
                p.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && upstream != null) {
            inputEnded = true; // the splice will pass it on
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarly();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The client left while dialing: drop the half-made upstream.
        releaseEarly();
        Channel up = upstream;
        if (up != null) {
            record.outcome(Outcome.CLIENT_CLOSED);
            up.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        releaseEarly();
        ctx.close();
    }

    private void releaseEarly() {
        List<ByteBuf> held = early;
        if (held != null) {
            early = null;
            held.forEach(ByteBuf::release);
        }
    }
}
