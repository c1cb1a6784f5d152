package co.airdress.relay.dial;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.listen.Listener;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Dials an operator's direct upstream address for the listener (an IP literal: no DNS here). */
public final class DirectDialer implements OperatorDialer {

    private final int connectTimeoutMillis;
    private final WriteBufferWaterMark waterMark;

    public DirectDialer(Duration connectTimeout, WriteBufferWaterMark waterMark) {
        this.connectTimeoutMillis = (int) Math.min(
                Integer.MAX_VALUE,
                requireNonNull(connectTimeout, "connectTimeout").toMillis());
        this.waterMark = requireNonNull(waterMark, "waterMark");
    }

    @Override
    public ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend) {
        Upstream u = operator.upstream();
        InetSocketAddress address = u == null ? null : (listener == Listener.HTTP ? u.http() : u.tls());
        if (address == null) {
            return client.newFailedFuture(new ConnectException(
                    "operator " + operator.name() + " has no direct upstream for " + listener.label()));
        }
        return connect(client, address, backend);
    }

    /** Connects to {@code address} on the client's event loop with the relay's upstream options. */
    public ChannelFuture connect(Channel client, InetSocketAddress address, ChannelHandler backend) {
        return new Bootstrap()
                .group(client.eventLoop())
                .channelFactory(() -> newChannel(client, address))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                // TCP_NODELAY is Netty's default for every socket channel (see RelayServer).
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .handler(backend)
                .connect(address);
    }

    /**
     * A channel of the client's transport. With epoll, an IPv4 address gets an AF_INET socket:
     * Netty's default is a dual-stack AF_INET6 socket, which costs an IPV6_V6ONLY option and the
     * v4-mapped path in the kernel on every dial.
     */
    private static Channel newChannel(Channel client, InetSocketAddress address) {
        if (client instanceof EpollSocketChannel) {
            return address.getAddress() instanceof Inet4Address
                    ? new EpollSocketChannel(SocketProtocolFamily.INET)
                    : new EpollSocketChannel();
        }
        if (client instanceof IoUringSocketChannel) {
            return new IoUringSocketChannel();
        }
        if (client instanceof NioSocketChannel) {
            return new NioSocketChannel();
        }
        // Another transport (tests): its no-argument constructor, as Bootstrap.channel(Class) would.
        try {
            return client.getClass().getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "cannot create a channel like " + client.getClass().getName(), e);
        }
    }
}
