package co.airdress.relay.listen;

import co.airdress.relay.config.RelayConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.Inet4Address;
import java.nio.channels.spi.SelectorProvider;
import java.util.List;

/**
 * The kind of listening socket a listen address gets: an AF_INET socket for an IPv4 address, an
 * AF_INET6 one for an IPv6 address with IPV6_V6ONLY set as the config says (on, when the listener
 * binds IPv4 on a socket of its own; off, so that {@code [::]} is dual-stack whatever the host's
 * {@code net.ipv6.bindv6only}).
 *
 * <p>Netty 4.2's io_uring server channel is always AF_INET6: a specific IPv4 address binds as
 * {@code ::ffff:a.b.c.d}, which takes IPv4 connections only, but Netty binds the IPv4 wildcard
 * {@code 0.0.0.0} as {@code [::]} (its native code maps the IPv4-mapped wildcard to
 * {@code in6addr_any}), a dual-stack socket. So a listener that lists {@code 0.0.0.0} beside IPv6
 * addresses cannot run on io_uring: {@link Transport#forListen} picks epoll for it, and
 * {@link #check} refuses it. NIO cannot set IPV6_V6ONLY (the JDK always clears it), so an
 * IPv6-only socket needs a native transport.
 */
final class SocketFamily {

    /** Linux's {@code IPPROTO_IPV6} / {@code IPV6_V6ONLY} ({@code netinet/in.h}); Netty has no option of its own. */
    static final IntegerUnixChannelOption IPV6_V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

    private SocketFamily() {}

    /** Whether the listener lists the IPv4 wildcard beside IPv6 addresses: it needs an IPv4-only wildcard socket. */
    static boolean needsIpv4OnlyWildcard(List<RelayConfig.ListenSocket> sockets) {
        return sockets.stream().anyMatch(SocketFamily::isIpv4Wildcard)
                && sockets.stream().anyMatch(s -> !(s.address().getAddress() instanceof Inet4Address));
    }

    private static boolean isIpv4Wildcard(RelayConfig.ListenSocket s) {
        return s.address().getAddress() instanceof Inet4Address
                && s.address().getAddress().isAnyLocalAddress();
    }

    /** Refuses what {@code transport} cannot bind as {@code sockets} say, naming the address and the way out. */
    static void check(Listener listener, Transport transport, List<RelayConfig.ListenSocket> sockets) {
        if (transport == Transport.IO_URING && needsIpv4OnlyWildcard(sockets)) {
            throw new IllegalStateException("listen." + listener.label() + ": 0.0.0.0 beside IPv6 addresses needs an"
                    + " IPv4-only wildcard socket, which the io_uring transport cannot bind (Netty binds 0.0.0.0"
                    + " as [::]) (expected: the epoll transport, which the relay picks for such a config, or one"
                    + " dual-stack [::] address)");
        }
        for (RelayConfig.ListenSocket socket : sockets) {
            if (transport == Transport.NIO && socket.ipv6Only()) {
                throw new IllegalStateException("listen." + listener.label() + ": " + socket.address()
                        + " is IPv6-only (its listener binds IPv4 on a socket of its own), which the nio"
                        + " transport cannot set (expected: the io_uring or epoll transport, or one"
                        + " dual-stack [::] address for the listener)");
            }
        }
    }

    /** Sets the channel (family) and IPV6_V6ONLY of {@code b} for {@code socket}. */
    static void configure(ServerBootstrap b, Transport transport, RelayConfig.ListenSocket socket) {
        boolean ipv4 = socket.address().getAddress() instanceof Inet4Address;
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        switch (transport) {
            case EPOLL -> b.channelFactory(() -> new EpollServerSocketChannel(family));
            case IO_URING -> b.channel(transport.serverChannel());
            case NIO -> b.channelFactory(() -> new NioServerSocketChannel(SelectorProvider.provider(), family));
        }
        if (!ipv4 && transport != Transport.NIO) {
            b.option(IPV6_V6ONLY, socket.ipv6Only() ? 1 : 0);
        }
    }

    /** For the "listening on" log line: {@code " (IPv6 only)"}, {@code " (dual stack)"} or nothing. */
    static String describe(Transport transport, RelayConfig.ListenSocket socket) {
        if (socket.ipv6Only()) {
            return " (IPv6 only)";
        }
        if (transport == Transport.IO_URING && isIpv4Wildcard(socket)) {
            return " (dual stack: io_uring binds 0.0.0.0 as [::])";
        }
        if (!(socket.address().getAddress() instanceof Inet4Address)
                && socket.address().getAddress().isAnyLocalAddress()) {
            return " (dual stack)";
        }
        return "";
    }
}
