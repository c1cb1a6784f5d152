package co.airdress.relay.listen;

import co.airdress.relay.config.RelayConfig;
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
 * The Netty transport. {@link #select} picks io_uring, then epoll when the kernel refuses io_uring
 * (too old, {@code kernel.io_uring_disabled}, or a seccomp profile such as a container runtime's
 * default), then NIO when no native library loads; {@code -Dairdress.transport=epoll|io_uring|nio}
 * asks for one. io_uring is first because it spends less CPU per new connection than epoll
 * (measured in bench/e2e/README.md, "Transport"). Native transports support SO_REUSEPORT, so each event loop
 * gets its own listening socket and the kernel spreads accepts over them.
 *
 * <p>With io_uring, Netty's multishot POLL_ADD is turned off (unless {@value #MULTISHOT_POLL} is
 * set explicitly): with auto-read off, as every relay channel is, Netty 4.2.18 loses a requested
 * read under a connection storm and the connection hangs until the client gives up
 * (relay/README.md, "io_uring").
 */
public enum Transport {
    IO_URING,
    EPOLL,
    NIO;

    public static final String PROPERTY = "airdress.transport";

    /** Netty's switch for multishot POLL_ADD, read once when its io_uring support loads. */
    static final String MULTISHOT_POLL = "io.netty.iouring.pollAddMultishotEnabled";

    public static Transport select() {
        String wanted = System.getProperty(PROPERTY, "auto").toLowerCase(Locale.ROOT);
        return switch (wanted) {
            case "io_uring", "iouring" -> {
                singleShotPoll();
                yield IoUring.isAvailable() ? IO_URING : fallback(IoUring.unavailabilityCause());
            }
            case "epoll" -> Epoll.isAvailable() ? EPOLL : fallback(Epoll.unavailabilityCause());
            case "nio" -> NIO;
            default -> {
                singleShotPoll();
                yield IoUring.isAvailable() ? IO_URING : Epoll.isAvailable() ? EPOLL : NIO;
            }
        };
    }

    /** Must run before {@link IoUring} loads (it reads the switch once); an explicit setting wins. */
    private static void singleShotPoll() {
        if (System.getProperty(MULTISHOT_POLL) == null) {
            System.setProperty(MULTISHOT_POLL, "false");
        }
    }

    private static Transport fallback(@Nullable Throwable cause) {
        org.slf4j.LoggerFactory.getLogger(Transport.class)
                .warn("requested transport unavailable, using NIO: {}", cause == null ? "unknown" : cause.toString());
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

    /**
     * {@code selected}, unless it is io_uring and a listener lists {@code 0.0.0.0} beside IPv6
     * addresses: that needs an IPv4-only wildcard socket, which Netty's io_uring transport cannot
     * bind (see {@link SocketFamily}); then epoll, said in the log.
     */
    public static Transport forListen(Transport selected, RelayConfig.Listen listen) {
        if (selected != IO_URING
                || !(SocketFamily.needsIpv4OnlyWildcard(listen.http())
                        || SocketFamily.needsIpv4OnlyWildcard(listen.tls()))
                || !Epoll.isAvailable()) {
            return selected;
        }
        org.slf4j.LoggerFactory.getLogger(Transport.class)
                .info("transport epoll rather than io_uring: a listener binds 0.0.0.0 beside IPv6 addresses,"
                        + " and io_uring cannot bind an IPv4-only wildcard socket");
        return EPOLL;
    }
}
