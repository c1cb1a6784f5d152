package co.airdress.relay.backhaul;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Watches a dial made for an operator at the PoP it was attached to: while the connect is pending
 * it looks every {@link #EVERY} (on the channel's event loop) whether the operator has moved, and
 * closes the channel once it has, which fails the connect. A dial whose peer answers at once (the
 * usual case) is never looked at.
 */
final class AttachmentWatch {

    /** How often a pending dial checks that the operator is still where it was dialed. */
    static final Duration EVERY = Duration.ofMillis(50);

    private AttachmentWatch() {}

    /** Closes {@code connect}'s channel once {@code moved} holds, unless the connect is done first. */
    static void abandonOnceMoved(ChannelFuture connect, BooleanSupplier moved) {
        if (connect.isDone()) {
            return;
        }
        Channel up = connect.channel();
        up.eventLoop()
                .schedule(
                        () -> {
                            if (connect.isDone()) {
                                return;
                            }
                            if (moved.getAsBoolean()) {
                                up.close();
                            } else {
                                abandonOnceMoved(connect, moved);
                            }
                        },
                        EVERY.toNanos(),
                        TimeUnit.NANOSECONDS);
    }
}
