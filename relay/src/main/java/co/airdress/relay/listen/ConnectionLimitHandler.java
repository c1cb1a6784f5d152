package co.airdress.relay.listen;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.Outcome;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * First in every client pipeline: admits a connection under the global and per-source limits (a
 * source: an IPv4 address or an IPv6 prefix, see {@link AddressCounter}),
 * or closes it before anything is read (auto-read is off, so no byte of it is ever read). An
 * admitted connection releases its slots when it closes; the handler then removes itself.
 */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "connection-limit";

    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final AddressCounter perAddress;
    private final Consumer<Channel> overLimit;

    /** IPv6 sources counted by /64; {@code overLimit} learns of each refused connection (for its outcome). */
    public ConnectionLimitHandler(int maxConnections, int maxPerAddress, Consumer<Channel> overLimit) {
        this(maxConnections, new AddressCounter(maxPerAddress), overLimit);
    }

    /** {@code perSource} counts the open connections of each source; {@code overLimit} as above. */
    public ConnectionLimitHandler(int maxConnections, AddressCounter perSource, Consumer<Channel> overLimit) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        this.maxConnections = maxConnections;
        this.perAddress = requireNonNull(perSource, "perSource");
        this.overLimit = requireNonNull(overLimit, "overLimit");
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (!acquireGlobal()) {
            refuse(ctx);
            return;
        }
        InetAddress address = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        AddressCounter.@Nullable Slot slot = address == null ? null : perAddress.acquire(address);
        if (address != null && slot == null) {
            open.decrementAndGet();
            refuse(ctx);
            return;
        }
        ch.closeFuture().addListener(f -> {
            open.decrementAndGet();
            if (slot != null) {
                perAddress.release(slot);
            }
        });
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
    }

    private void refuse(ChannelHandlerContext ctx) {
        overLimit.accept(ctx.channel());
        ctx.close();
    }

    private boolean acquireGlobal() {
        while (true) {
            int n = open.get();
            if (n >= maxConnections) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Connections admitted and still open. */
    public int open() {
        return open.get();
    }

    /** The outcome a refused connection gets. */
    public static Outcome outcome() {
        return Outcome.OVER_LIMIT;
    }
}
