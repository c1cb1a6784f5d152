package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Gives a management connection a fixed time to deliver each complete request: from when it opens,
 * and again from each answer (an idle keep-alive connection). Bytes arriving do not extend it, so a
 * request dripped one byte at a time is closed like a silent connection. While a request is being
 * answered there is no deadline. Sits between the aggregator (whole requests in) and the handler
 * that answers them (whole responses out).
 *
 * <p>Also tells {@link ManagementConnections} whether the connection is waiting for a request, since
 * when, and whether it ever completed one: what decides which connection gives way when all are taken.
 */
final class RequestDeadlineHandler extends ChannelDuplexHandler {

    static final String NAME = "request-deadline";

    private final long timeoutNanos;
    private final Runnable onTimeout;

    // Written on the event loop, read by ManagementConnections from the accepting thread.
    private volatile boolean waiting = true;
    private volatile long waitingSince = System.nanoTime();
    private volatile boolean answeredOnce;

    // Event loop only.
    private int inFlight;
    private @Nullable ScheduledFuture<?> deadline;

    /** {@code onTimeout} runs (on the event loop) when a connection is closed for missing its deadline. */
    RequestDeadlineHandler(Duration timeout, Runnable onTimeout) {
        requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
        this.timeoutNanos = timeout.toNanos();
        this.onTimeout = requireNonNull(onTimeout, "onTimeout");
    }

    /** Waiting for a request: none received, or every one received has been answered. */
    boolean waiting() {
        return waiting;
    }

    /** When the current wait began ({@link System#nanoTime()}); meaningful while {@link #waiting()}. */
    long waitingSince() {
        return waitingSince;
    }

    /** Whether a request of this connection has been answered. */
    boolean answeredOnce() {
        return answeredOnce;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
            inFlight++;
            waiting = false;
            disarm();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse && inFlight > 0 && --inFlight == 0) {
            answeredOnce = true;
            waitingSince = System.nanoTime();
            waiting = true;
            arm(ctx);
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }

    private void arm(ChannelHandlerContext ctx) {
        if (deadline != null) {
            return;
        }
        long delay = timeoutNanos - (System.nanoTime() - waitingSince);
        deadline = ctx.executor().schedule(() -> expire(ctx), Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
            deadline = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        if (waiting && ctx.channel().isActive()) {
            onTimeout.run();
            ctx.close();
        }
    }
}
