package co.airdress.relay.splice;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Joins a client channel and an operator channel; call on their (shared) event loop. */
public final class Splice {

    public static final String IDLE = "idle";

    private Splice() {}

    /**
     * Replaces {@code replaced} on the client pipeline with the idle timer and the frontend,
     * pairs both handlers and requests the first read on both sides.
     */
    public static void start(
            Channel client,
            ChannelHandler replaced,
            RelayFrontendHandler front,
            Channel upstream,
            RelayBackendHandler back,
            Duration idle) {
        back.pairWith(front, client, upstream);
        ChannelPipeline p = client.pipeline();
        // Idle counts reads and writes on the client: traffic either way keeps the connection.
        p.replace(replaced, RelayFrontendHandler.NAME, front);
        p.addBefore(
                RelayFrontendHandler.NAME,
                IDLE,
                new IdleStateHandler(false, 0, 0, idle.toNanos(), TimeUnit.NANOSECONDS));
        SpliceHandler.start(client);
        SpliceHandler.start(upstream);
    }
}
