package co.airdress.relay.tunnel.udp;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WireGuard UDP socket: one Netty datagram channel (epoll, NIO only when the native
 * transport is unavailable) on its own single-thread event loop, bound dual-stack to the listen
 * port. Datagrams are handed to a {@link Receiver} on the event loop; {@link #send} may be called
 * from any thread.
 */
public final class UdpTransport implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(UdpTransport.class);

    /** Largest datagram we accept: WireGuard's transport overhead on top of a 9000-byte MTU. */
    public static final int MAX_DATAGRAM = 9000 + 32 + 16;

    private static final int SOCKET_BUFFER = 4 << 20;

    /** Called on the event loop for each datagram; {@code content} is released after it returns. */
    @FunctionalInterface
    public interface Receiver {
        void onDatagram(ByteBuf content, InetSocketAddress sender);

        /** Called once the event loop finished a burst of reads, to flush what they produced. */
        default void onReadBurstComplete() {}
    }

    private final EventLoopGroup group;
    private final Channel channel;
    private final boolean nativeTransport;

    private UdpTransport(EventLoopGroup group, Channel channel, boolean nativeTransport) {
        this.group = group;
        this.channel = channel;
        this.nativeTransport = nativeTransport;
    }

    /**
     * Binds {@code [::]:port} (0 = any free port) in the calling thread's network namespace.
     *
     * @throws IOException naming the port when the bind fails
     */
    public static UdpTransport bind(int port, Receiver receiver, ThreadFactory threads) throws IOException {
        requireNonNull(receiver, "receiver");
        requireNonNull(threads, "threads");
        boolean epoll = Epoll.isAvailable();
        if (!epoll) {
            logger.warn("native epoll unavailable, WireGuard UDP falls back to NIO", Epoll.unavailabilityCause());
        }
        IoHandlerFactory ioHandler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, threads, ioHandler);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(new Inbound(receiver));
        // Dual-stack [::] unless the host has IPv6 disabled; then IPv4 only.
        SocketProtocolFamily family = ipv6Available() ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        if (epoll) {
            bootstrap
                    .channelFactory(() -> new EpollDatagramChannel(family))
                    .option(EpollChannelOption.SO_REUSEPORT, false);
        } else {
            bootstrap.channelFactory(() -> new NioDatagramChannel(family));
        }
        try {
            Channel channel = bootstrap
                    .bind(
                            family == SocketProtocolFamily.INET6
                                    ? new InetSocketAddress(port)
                                    : new InetSocketAddress("0.0.0.0", port))
                    .sync()
                    .channel();
            return new UdpTransport(group, channel, epoll);
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("bind WireGuard UDP port " + port + ": " + e.getMessage(), e);
        }
    }

    private static boolean ipv6Available() {
        try (java.nio.channels.DatagramChannel probe =
                java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET6)) {
            return probe != null;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public int localPort() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public boolean nativeTransport() {
        return nativeTransport;
    }

    /** The event loop that runs {@link Receiver} callbacks. */
    public io.netty.channel.EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Queues one datagram; takes ownership of {@code content}. Call {@link #flush()} after a burst. */
    public void write(ByteBuf content, InetSocketAddress recipient) {
        channel.write(new DatagramPacket(content, recipient), channel.voidPromise());
    }

    public void flush() {
        channel.flush();
    }

    /** {@link #write} then {@link #flush}. */
    public void send(ByteBuf content, InetSocketAddress recipient) {
        channel.writeAndFlush(new DatagramPacket(content, recipient), channel.voidPromise());
    }

    /** Whether the socket's send buffer has room; writers may drop instead of queueing without bound. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
        private final Receiver receiver;

        Inbound(Receiver receiver) {
            this.receiver = receiver;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            receiver.onDatagram(packet.content(), packet.sender());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            receiver.onReadBurstComplete();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable and the like surface here; the socket stays usable.
            logger.debug("WireGuard UDP socket error", cause);
        }
    }
}
