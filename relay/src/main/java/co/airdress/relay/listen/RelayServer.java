package co.airdress.relay.listen;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.AccessLog;
import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.net.HostPort;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data-plane listeners (HTTP and TLS) and their connections: binds, stops accepting, closes
 * everything. Each listener binds every address its config lists ({@code [::]:443} dual-stack, or
 * {@code 0.0.0.0:443} and an IPv6-only {@code [::]:443} side by side). With a native transport
 * each event loop gets its own SO_REUSEPORT socket per address and keeps the connections that
 * socket accepts.
 */
public final class RelayServer implements DrainCoordinator.Target, AutoCloseable {

    /** Netty's defaults, stated: a direction pauses reading once 64 KiB wait to be written. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

    private final RelayConfig config;
    private final Routes routes;
    private final OperatorDialer dialer;
    private final DataPathMetrics metrics;
    private final HealthState health;
    private final AccessLog accessLog;
    private final EventLoopGroup group;
    private final Transport transport;
    private final ChannelGroup clients = new DefaultChannelGroup("relay-clients", GlobalEventExecutor.INSTANCE);
    private volatile @Nullable Predicate<ConnectionRecord> stranded;
    private final List<Channel> serverChannels = new ArrayList<>();
    private boolean stopped; // stopAccepting was called: start binds nothing (guarded by this)
    private final Map<Listener, List<InetSocketAddress>> bound = new EnumMap<>(Listener.class);
    private final ConnectionLimitHandler limit;
    private final AddressCounter peeking;

    public RelayServer(
            RelayConfig config,
            Routes routes,
            OperatorDialer dialer,
            DataPathMetrics metrics,
            HealthState health,
            EventLoopGroup group,
            Transport transport) {
        this.config = requireNonNull(config, "config");
        this.routes = requireNonNull(routes, "routes");
        this.dialer = requireNonNull(dialer, "dialer");
        this.metrics = requireNonNull(metrics, "metrics");
        this.health = requireNonNull(health, "health");
        this.group = requireNonNull(group, "group");
        this.transport = requireNonNull(transport, "transport");
        this.accessLog = new AccessLog(config.pop());
        SourcePrefix sources = new SourcePrefix(config.limits().ipv6Prefix());
        this.limit = new ConnectionLimitHandler(
                config.limits().maxConnections(),
                new AddressCounter(config.limits().maxConnectionsPerIp(), sources),
                ch -> {
                    ConnectionRecord r = ch.attr(RelayInitializer.RECORD).get();
                    if (r != null) {
                        r.outcome(Outcome.OVER_LIMIT);
                    }
                });
        this.peeking = new AddressCounter(config.limits().maxPeekingPerIp(), sources);
    }

    /**
     * Binds every configured listener; throws if one cannot be bound. Returns each listener's
     * first address (port 0 resolved); {@link #addresses} has them all. After {@link
     * #stopAccepting} (a drain that began first) it binds nothing and returns an empty map.
     */
    public synchronized Map<Listener, InetSocketAddress> start() throws InterruptedException {
        if (stopped) {
            return Map.of(); // a drain stopped accepting before the listeners were bound
        }
        bind(Listener.HTTP, config.listen().http());
        bind(Listener.TLS, config.listen().tls());
        Map<Listener, InetSocketAddress> first = new EnumMap<>(Listener.class);
        bound.forEach((listener, addresses) -> first.put(listener, addresses.getFirst()));
        return Map.copyOf(first);
    }

    private void bind(Listener listener, List<RelayConfig.ListenSocket> sockets) throws InterruptedException {
        if (sockets.isEmpty()) {
            return;
        }
        SocketFamily.check(listener, transport, sockets);
        List<InetSocketAddress> addresses = new ArrayList<>(sockets.size());
        for (RelayConfig.ListenSocket socket : sockets) {
            addresses.add(bind(listener, socket));
        }
        bound.put(listener, List.copyOf(addresses));
        health.listener(listener.label(), true);
    }

    private InetSocketAddress bind(Listener listener, RelayConfig.ListenSocket socket) throws InterruptedException {
        InetSocketAddress address = socket.address();
        ServerBootstrap b = new ServerBootstrap()
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                // No TCP_NODELAY option: every Netty socket config already sets it on creation
                // (canEnableTcpNoDelayByDefault), and stating it again costs a setsockopt per accept.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new RelayInitializer(
                        listener, config, routes, dialer, metrics, accessLog, limit, peeking, clients));
        SocketFamily.configure(b, transport, socket);
        deferAccept(b);
        InetSocketAddress actual;
        int sockets = 0;
        if (!transport.reusePort()) {
            Channel ch = b.group(group).bind(address).sync().channel();
            serverChannels.add(ch);
            actual = (InetSocketAddress) ch.localAddress();
            sockets = 1;
        } else {
            // One SO_REUSEPORT socket per event loop, and the connections it accepts stay on that
            // loop: no hand-over to another thread, so one wake-up fewer per connection when that
            // loop is idle.
            b.option(
                    transport == Transport.EPOLL ? EpollChannelOption.SO_REUSEPORT : IoUringChannelOption.SO_REUSEPORT,
                    true);
            actual = address;
            for (EventExecutor e : group) {
                EventLoop loop = (EventLoop) e;
                Channel ch = b.clone().group(loop, loop).bind(actual).sync().channel();
                serverChannels.add(ch);
                actual = (InetSocketAddress) ch.localAddress();
                sockets++;
            }
        }
        log.info(
                "listening for {} on {}{} ({} socket(s), transport {}, defer accept {})",
                listener.label(),
                HostPort.format(actual),
                SocketFamily.describe(transport, socket),
                sockets,
                transport.label(),
                deferAcceptLabel());
        return actual;
    }

    /**
     * TCP_DEFER_ACCEPT on the listening socket: the kernel completes the accept once the client's
     * first bytes are there (or after {@code listen.defer_accept}), so a connection starts with its
     * peek data in hand instead of one more wake-up to wait for it. NIO cannot set it.
     */
    private void deferAccept(ServerBootstrap b) {
        int seconds = (int) config.listen().deferAccept().toSeconds();
        if (seconds == 0) {
            return;
        }
        switch (transport) {
            case IO_URING -> b.option(IoUringChannelOption.TCP_DEFER_ACCEPT, seconds);
            case EPOLL -> b.option(EpollChannelOption.TCP_DEFER_ACCEPT, seconds);
            case NIO -> {}
        }
    }

    private String deferAcceptLabel() {
        long seconds = config.listen().deferAccept().toSeconds();
        if (seconds == 0) {
            return "off";
        }
        return transport == Transport.NIO ? "not supported by nio" : seconds + "s";
    }

    /** The listener's first address (port 0 resolved), or null when it is not configured. */
    public @Nullable InetSocketAddress address(Listener listener) {
        List<InetSocketAddress> addresses = bound.get(listener);
        return addresses == null ? null : addresses.getFirst();
    }

    /** Every address the listener is bound to, in config order (port 0 resolved); empty when not configured. */
    public List<InetSocketAddress> addresses(Listener listener) {
        return bound.getOrDefault(listener, List.of());
    }

    public Transport transport() {
        return transport;
    }

    @Override
    public synchronized void stopAccepting() {
        stopped = true;
        for (Channel ch : serverChannels) {
            ch.close().syncUninterruptibly();
        }
        serverChannels.clear();
        for (Listener l : bound.keySet()) {
            health.listener(l.label(), false);
        }
    }

    /** The listening sockets bound now (tests read their options). */
    synchronized List<Channel> listeningChannels() {
        return List.copyOf(serverChannels);
    }

    /** The client connections open now (tests look at where they live). */
    ChannelGroup connections() {
        return clients;
    }

    @Override
    public int activeConnections() {
        return clients.size();
    }

    /**
     * Which connections a drain closes at once ({@link #closeStranded}): e.g. those through the
     * tunnel to an operator attached at another PoP since. None unless set.
     */
    public RelayServer stranded(Predicate<ConnectionRecord> stranded) {
        this.stranded = requireNonNull(stranded, "stranded");
        return this;
    }

    @Override
    public void closeStranded() {
        closeWhere(clients, stranded);
    }

    /**
     * Closes the connections of {@code group} whose record {@code stranded} holds for, each tested
     * and closed on its event loop (the record is written there).
     */
    public static void closeWhere(ChannelGroup group, @Nullable Predicate<ConnectionRecord> stranded) {
        if (stranded == null) {
            return;
        }
        for (Channel ch : group) {
            ConnectionRecord r = ch.attr(RelayInitializer.RECORD).get();
            if (r == null || !r.throughTunnel()) {
                continue; // a hint read off the loop: a connection dialed later is looked at next time
            }
            ch.eventLoop().execute(() -> {
                if (ch.isActive() && stranded.test(r)) {
                    r.outcome(Outcome.CLOSED);
                    ch.close();
                }
            });
        }
    }

    @Override
    public void closeAll() {
        for (Channel ch : clients) {
            ConnectionRecord r = ch.attr(RelayInitializer.RECORD).get();
            ch.eventLoop().execute(() -> {
                if (r != null) {
                    r.outcome(Outcome.CLOSED);
                }
                ch.close();
            });
        }
    }

    /**
     * Bytes written to client channels but not yet taken by the kernel (what a slow reader makes
     * the relay hold). Approximate when read off the event loops.
     */
    public long pendingOutboundBytes() {
        long total = 0;
        for (Channel ch : clients) {
            var buf = ch.unsafe().outboundBuffer();
            if (buf != null) {
                total += buf.totalPendingWriteBytes();
            }
        }
        return total;
    }

    @Override
    public void close() {
        stopAccepting();
        closeAll();
    }
}
