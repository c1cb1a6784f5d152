package co.airdress.relay.tunnel.device.internal;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.tun.TunQueue;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;

/**
 * Registers a TUN queue's descriptor with a Netty epoll event loop, so the thread that owns the
 * UDP socket and the protocol engine also reads the TUN: no hand-off between threads, no locks.
 * Level-triggered: the callback reads a bounded burst and epoll calls again if more is queued.
 *
 * <p>The descriptor stays owned by the {@link co.airdress.relay.tunnel.tun.TunDevice}; cancelling
 * the registration or closing this handle never closes it.
 */
public final class TunReadiness implements EpollIoHandle {

    private final FileDescriptor fd;
    private final Runnable onReadable;

    private TunReadiness(int fd, Runnable onReadable) {
        this.fd = new FileDescriptor(fd) {
            @Override
            public void close() {
                // The TunDevice closes the descriptor; Netty must not.
            }
        };
        this.onReadable = onReadable;
    }

    /** Registers {@code queue} for EPOLLIN on {@code loop}; {@code onReadable} runs on that loop. */
    public static Future<IoRegistration> register(IoEventLoop loop, TunQueue queue, Runnable onReadable) {
        requireNonNull(loop, "loop");
        requireNonNull(queue, "queue");
        requireNonNull(onReadable, "onReadable");
        TunReadiness handle = new TunReadiness(queue.fileDescriptor(), onReadable);
        return loop.register(handle).addListener(f -> {
            if (f.isSuccess()) {
                ((IoRegistration) f.getNow()).submit(EpollIoOps.EPOLLIN);
            }
        });
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        onReadable.run();
    }

    @Override
    public void close() {
        // nothing to release: see the class comment
    }
}
