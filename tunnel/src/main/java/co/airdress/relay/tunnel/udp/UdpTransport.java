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
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WireGuard UDP sockets: Netty datagram channels (epoll, NIO only when the native transport is
 * unavailable) on one single-thread event loop of their own. By default one socket, bound
 * dual-stack to the listen port; given addresses (an anycast VIP per family), one socket bound to
 * each, numbered in the order given, so that a reply written to the socket a datagram came in on
 * leaves from the address the peer sent to. Datagrams are handed to a {@link Receiver} on the
 * event loop with their socket's number; {@link #send} may be called from any thread.
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

        /** As {@link #onDatagram(ByteBuf, InetSocketAddress)}, with the number of the socket it came in on. */
        default void onDatagram(ByteBuf content, InetSocketAddress sender, int socket) {
            onDatagram(content, sender);
        }

        /** Called once the event loop finished a burst of reads, to flush what they produced. */
        default void onReadBurstComplete() {}
    }

    private final EventLoopGroup group;
    private final Channel[] channels;
    /** The first channel of the same family, for a destination with no socket known. */
    private final int ipv4Default;

    private final int ipv6Default;
    private final boolean nativeTransport;

    private UdpTransport(EventLoopGroup group, List<Channel> channels, boolean nativeTransport) {
        this.group = group;
        this.channels = channels.toArray(Channel[]::new);
        this.nativeTransport = nativeTransport;
        this.ipv4Default = firstOf(this.channels, false);
        this.ipv6Default = firstOf(this.channels, true);
    }

    private static int firstOf(Channel[] channels, boolean ipv6) {
        for (int i = 0; i < channels.length; i++) {
            InetAddress local = ((InetSocketAddress) channels[i].localAddress()).getAddress();
            if (local.isAnyLocalAddress() || (local instanceof Inet6Address) == ipv6) {
                return i;
            }
        }
        return 0;
    }

    /**
     * Binds {@code [::]:port} (0 = any free port) in the calling thread's network namespace.
     *
     * @throws IOException naming the port when the bind fails
     */
    public static UdpTransport bind(int port, Receiver receiver, ThreadFactory threads) throws IOException {
        return bind(List.of(), port, receiver, threads);
    }

    /**
     * Binds one socket to each of {@code addresses} on {@code port}, or {@code [::]:port} when the
     * list is empty. With port 0, the first socket's port is used for the others.
     *
     * @throws IOException naming the address and port when a bind fails (e.g. the address is not
     *     on the host)
     */
    public static UdpTransport bind(List<InetAddress> addresses, int port, Receiver receiver, ThreadFactory threads)
            throws IOException {
        requireNonNull(addresses, "addresses");
        requireNonNull(receiver, "receiver");
        requireNonNull(threads, "threads");
        boolean epoll = Epoll.isAvailable();
        if (!epoll) {
            logger.warn("native epoll unavailable, WireGuard UDP falls back to NIO", Epoll.unavailabilityCause());
        }
        IoHandlerFactory ioHandler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, threads, ioHandler);
        List<Channel> channels = new ArrayList<>();
        InetSocketAddress binding = null;
        try {
            if (addresses.isEmpty()) {
                // Dual-stack [::] unless the host has IPv6 disabled; then IPv4 only.
                SocketProtocolFamily family = ipv6Available() ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
                binding = family == SocketProtocolFamily.INET6
                        ? new InetSocketAddress(port)
                        : new InetSocketAddress("0.0.0.0", port);
                channels.add(bootstrap(group, epoll, family, receiver, 0)
                        .bind(binding)
                        .sync()
                        .channel());
            } else {
                int boundPort = port;
                for (InetAddress address : addresses) {
                    SocketProtocolFamily family =
                            address instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
                    binding = new InetSocketAddress(address, boundPort);
                    Channel channel = bootstrap(group, epoll, family, receiver, channels.size())
                            .bind(binding)
                            .sync()
                            .channel();
                    channels.add(channel);
                    boundPort = ((InetSocketAddress) channel.localAddress()).getPort();
                }
            }
            return new UdpTransport(group, channels, epoll);
        } catch (Exception e) {
            channels.forEach(c -> c.close().syncUninterruptibly());
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException(
                    "bind WireGuard UDP " + (binding == null ? "port " + port : binding) + ": " + e.getMessage(), e);
        }
    }

    private static Bootstrap bootstrap(
            EventLoopGroup group, boolean epoll, SocketProtocolFamily family, Receiver receiver, int socket) {
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(new Inbound(receiver, socket));
        if (epoll) {
            bootstrap
                    .channelFactory(() -> new EpollDatagramChannel(family))
                    .option(EpollChannelOption.SO_REUSEPORT, false);
        } else {
            bootstrap.channelFactory(() -> new NioDatagramChannel(family));
        }
        return bootstrap;
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
        return ((InetSocketAddress) channels[0].localAddress()).getPort();
    }

    /** Each socket's local address, by number. */
    public List<InetSocketAddress> localAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel c : channels) {
            out.add((InetSocketAddress) c.localAddress());
        }
        return out;
    }

    public boolean nativeTransport() {
        return nativeTransport;
    }

    /** The event loop that runs {@link Receiver} callbacks. */
    public io.netty.channel.EventLoop eventLoop() {
        return channels[0].eventLoop();
    }

    /** Queues one datagram; takes ownership of {@code content}. Call {@link #flush()} after a burst. */
    public void write(ByteBuf content, InetSocketAddress recipient) {
        write(content, recipient, -1);
    }

    /**
     * Queues one datagram out of socket {@code socket}; -1 (or a number out of range) = the first
     * socket of the recipient's family. Takes ownership of {@code content}.
     */
    public void write(ByteBuf content, InetSocketAddress recipient, int socket) {
        Channel channel = channel(recipient, socket);
        channel.write(new DatagramPacket(content, recipient), channel.voidPromise());
    }

    private Channel channel(InetSocketAddress recipient, int socket) {
        if (socket >= 0 && socket < channels.length) {
            return channels[socket];
        }
        return channels[recipient.getAddress() instanceof Inet6Address ? ipv6Default : ipv4Default];
    }

    public void flush() {
        for (Channel c : channels) {
            c.flush();
        }
    }

    /** {@link #write} then {@link #flush}. */
    public void send(ByteBuf content, InetSocketAddress recipient) {
        Channel channel = channel(recipient, -1);
        channel.writeAndFlush(new DatagramPacket(content, recipient), channel.voidPromise());
    }

    /** Whether the sockets' send buffers have room; writers may drop instead of queueing without bound. */
    public boolean isWritable() {
        for (Channel c : channels) {
            if (!c.isWritable()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (Channel c : channels) {
            c.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
        private final Receiver receiver;
        private final int socket;

        Inbound(Receiver receiver, int socket) {
            this.receiver = receiver;
            this.socket = socket;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            receiver.onDatagram(packet.content(), packet.sender(), socket);
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
