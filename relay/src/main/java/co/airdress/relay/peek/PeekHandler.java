package co.airdress.relay.peek;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.listen.AddressCounter;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.DataPathMetrics.PeekResult;
import co.airdress.relay.refusal.Answers;
import co.airdress.relay.refusal.Refusal;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Reads the first bytes of a connection until the peek decides, keeping every byte for replay.
 * Reads are requested one at a time (auto-read is off), so a peeking connection holds at most the
 * peek's limit plus one read. The deadline runs from accept, so a client dripping one byte at a
 * time is cut off like a silent one. On a host it passes a {@link Peeked} down and removes itself;
 * otherwise it answers through {@link Answers}.
 */
abstract class PeekHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "peek";

    private final ConnectionRecord record;
    private final DataPathMetrics metrics;
    private final AddressCounter peeking;
    private final long deadlineNanos;
    private @Nullable ByteBuf cumulation;
    private @Nullable ScheduledFuture<?> timeout;
    private AddressCounter.@Nullable Slot slot;
    private boolean decided;

    PeekHandler(ConnectionRecord record, DataPathMetrics metrics, AddressCounter peeking, Duration timeout) {
        this.record = requireNonNull(record, "record");
        this.metrics = requireNonNull(metrics, "metrics");
        this.peeking = requireNonNull(peeking, "peeking");
        this.deadlineNanos = record.acceptedNanos() + timeout.toNanos();
    }

    /** Feeds one chunk; returns the decision once there is one. */
    abstract Decision feed(ByteBuf chunk);

    /** What the peek concluded. */
    sealed interface Decision {
        record NeedMore() implements Decision {}

        record Route(String host, List<String> alpn) implements Decision {}

        record Refuse(Refusal refusal, PeekResult result) implements Decision {}
    }

    static final Decision NEED_MORE = new Decision.NeedMore();

    /** The TLS record version the client used, for alerts (0 on HTTP). */
    int recordVersion(@Nullable ByteBuf firstBytes) {
        return 0;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress remote = record.client();
        InetAddress address = remote == null ? null : remote.getAddress();
        if (address != null) {
            slot = peeking.acquire(address);
            if (slot == null) {
                record.outcome(Outcome.OVER_LIMIT);
                decided = true;
                ctx.close();
                return;
            }
        }
        long delay = deadlineNanos - System.nanoTime();
        timeout = ctx.executor().schedule(() -> onTimeout(ctx), Math.max(0, delay), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (decided || !(msg instanceof ByteBuf chunk)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Decision d;
        try {
            d = feed(chunk);
            if (cumulation == null) {
                cumulation = ctx.alloc().buffer(Math.max(chunk.readableBytes(), 512));
            }
            cumulation.writeBytes(chunk);
        } finally {
            chunk.release();
        }
        switch (d) {
            case Decision.NeedMore n -> {}
            case Decision.Route r -> route(ctx, r);
            case Decision.Refuse r -> refuse(ctx, r.refusal(), r.result());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!decided && ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !decided) {
            // The client finished sending before the peek could decide: it never will.
            decided = true;
            record.outcome(Outcome.PEEK_CLOSED);
            release();
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!decided) {
            decided = true;
            record.outcome(Outcome.PEEK_CLOSED);
        }
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Read errors (ECONNRESET...) end the connection; nothing to answer.
        decided = true;
        record.outcome(Outcome.PEEK_CLOSED);
        release();
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void onTimeout(ChannelHandlerContext ctx) {
        timeout = null;
        if (decided || !ctx.channel().isActive()) {
            return;
        }
        refuse(ctx, Refusal.PEEK_TIMEOUT, PeekResult.TIMEOUT);
    }

    private void route(ChannelHandlerContext ctx, Decision.Route r) {
        decided = true;
        metrics.peek(record.listener(), PeekResult.FOUND);
        record.peeked(r.host(), r.alpn());
        ByteBuf bytes = requireNonNull(cumulation, "cumulation");
        cumulation = null;
        Peeked peeked = new Peeked(r.host(), r.alpn(), recordVersion(bytes), bytes);
        releaseSlot();
        cancelTimeout();
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(peeked);
    }

    private void refuse(ChannelHandlerContext ctx, Refusal refusal, PeekResult result) {
        decided = true;
        metrics.peek(record.listener(), result);
        int version = recordVersion(cumulation);
        release();
        Answers.refuse(ctx, record, refusal, version);
    }

    private void release() {
        cancelTimeout();
        releaseSlot();
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    private void releaseSlot() {
        if (slot != null) {
            peeking.release(slot);
            slot = null;
        }
    }
}
