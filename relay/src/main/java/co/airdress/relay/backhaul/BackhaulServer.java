package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.AccessLog;
import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.BackhaulConfig;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.listen.RelayServer;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.IpPrefix;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backhaul listener: TCP on this PoP's mesh addresses only ({@code backhaul.addresses},
 * {@code backhaul.port}), so neither clients nor operators can reach it; and a connection is
 * accepted only from a mesh peer's address (the mesh's allowed IPs make that address
 * authenticated: WireGuard only delivers packets from a peer's own mesh address). Each connection
 * then goes {@link BackhaulHeaderHandler} → route by AUTHORITY → dial, to the local operator only
 * ({@link DeliveringDialer}) → splice.
 */
public final class BackhaulServer implements AutoCloseable, DrainCoordinator.Connections {

    private static final Logger log = LoggerFactory.getLogger(BackhaulServer.class);

    /** What every accepted connection's path needs. */
    record Inbound(
            BackhaulConfig config,
            BackhaulMetrics metrics,
            DataPathMetrics dataPath,
            AccessLog accessLog,
            Routes routes,
            OperatorDialer dialer,
            String pop,
            Duration idle) {}

    private final BackhaulConfig config;
    private final PopTable pops;
    private final Inbound inbound;
    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelClass;
    private final List<Channel> channels = new ArrayList<>();
    // The backhauled connections open now (a drain waits for them and closes what remains).
    private final ChannelGroup connections = new DefaultChannelGroup("backhaul-in", GlobalEventExecutor.INSTANCE);
    private volatile @Nullable Predicate<ConnectionRecord> stranded;

    /**
     * @param local dials this PoP's operators (the relay's dialer without the backhaul)
     * @param idle the relay's idle timeout for the splice
     */
    public BackhaulServer(
            String pop,
            BackhaulConfig config,
            Routes routes,
            OperatorDialer local,
            AttachmentLookup attachments,
            PopTable pops,
            BackhaulMetrics metrics,
            DataPathMetrics dataPath,
            Duration idle,
            EventLoopGroup group,
            Class<? extends ServerChannel> channelClass) {
        this.config = requireNonNull(config, "config");
        this.pops = requireNonNull(pops, "pops");
        this.group = requireNonNull(group, "group");
        this.channelClass = requireNonNull(channelClass, "channelClass");
        this.inbound = new Inbound(
                config,
                requireNonNull(metrics, "metrics"),
                requireNonNull(dataPath, "dataPath"),
                new AccessLog(pop),
                requireNonNull(routes, "routes"),
                new DeliveringDialer(local, attachments, pop, metrics),
                pop,
                requireNonNull(idle, "idle"));
    }

    /** Binds the listener on every mesh address; returns the bound addresses (port 0 resolved). */
    public synchronized List<InetSocketAddress> start() throws InterruptedException {
        List<InetSocketAddress> bound = new ArrayList<>();
        for (IpPrefix a : config.addresses()) {
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(channelClass)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, RelayServer.WATER_MARK)
                    .childHandler(new BackhaulInitializer(inbound, pops, connections));
            Channel ch = b.bind(new InetSocketAddress(a.address(), config.port()))
                    .sync()
                    .channel();
            channels.add(ch);
            bound.add((InetSocketAddress) ch.localAddress());
        }
        log.info("backhaul listening on {}", bound);
        return List.copyOf(bound);
    }

    @Override
    public int activeConnections() {
        return connections.size();
    }

    @Override
    public void closeAll() {
        for (Channel ch : connections) {
            ch.eventLoop().execute(ch::close);
        }
    }

    /** Which backhauled connections a drain closes at once ({@link RelayServer#stranded}). */
    public BackhaulServer stranded(Predicate<ConnectionRecord> stranded) {
        this.stranded = requireNonNull(stranded, "stranded");
        return this;
    }

    @Override
    public void closeStranded() {
        RelayServer.closeWhere(connections, stranded);
    }

    @Override
    public synchronized void close() {
        channels.forEach(Channel::close);
        channels.clear();
    }
}
