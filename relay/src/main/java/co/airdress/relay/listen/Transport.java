package co.airdress.relay.listen;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The Netty transport. {@link #select} picks epoll, then NIO when the native library does not
 * load; io_uring only when asked for ({@code -Drelay.transport=io_uring}), since it has not been
 * measured faster than epoll for this workload here. Native transports support SO_REUSEPORT, so
 * each event loop gets its own listening socket and the kernel spreads accepts over them.
 */
public enum Transport {
    IO_URING,
    EPOLL,
    NIO;

    public static final String PROPERTY = "relay.transport";

    public static Transport select() {
        String wanted = System.getProperty(PROPERTY, "auto").toLowerCase(Locale.ROOT);
        return switch (wanted) {
            case "io_uring", "iouring" -> IoUring.isAvailable() ? IO_URING : fallback(IoUring.unavailabilityCause());
            case "epoll" -> Epoll.isAvailable() ? EPOLL : fallback(Epoll.unavailabilityCause());
            case "nio" -> NIO;
            default -> Epoll.isAvailable() ? EPOLL : NIO;
        };
    }

    private static Transport fallback(@Nullable Throwable cause) {
        org.slf4j.LoggerFactory.getLogger(Transport.class).warn("requested transport unavailable, using NIO: {}",
                cause == null ? "unknown" : cause.toString());
        return NIO;
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public Class<? extends ServerChannel> serverChannel() {
        return switch (this) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public boolean reusePort() {
        return this != NIO;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
