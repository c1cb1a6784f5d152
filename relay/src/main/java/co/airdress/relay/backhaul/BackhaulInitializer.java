package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits a connection accepted on the backhaul listener only from a mesh peer's address, and
 * starts its path with {@link BackhaulHeaderHandler}; any other source is closed at once, counted.
 */
@ChannelHandler.Sharable
final class BackhaulInitializer extends ChannelInitializer<Channel> {

    private static final Logger log = LoggerFactory.getLogger(BackhaulInitializer.class);

    private final BackhaulServer.Inbound inbound;
    private final PopTable pops;
    private final ChannelGroup connections;

    BackhaulInitializer(BackhaulServer.Inbound inbound, PopTable pops, ChannelGroup connections) {
        this.inbound = requireNonNull(inbound, "inbound");
        this.pops = requireNonNull(pops, "pops");
        this.connections = requireNonNull(connections, "connections");
    }

    @Override
    protected void initChannel(Channel ch) {
        String peer = ch.remoteAddress() instanceof InetSocketAddress remote ? pops.popAt(remote.getAddress()) : null;
        if (peer == null) {
            inbound.metrics().refused(BackhaulMetrics.Refusal.NOT_A_PEER);
            log.warn("backhaul connection from {} refused: not a mesh peer's address", ch.remoteAddress());
            ch.close();
            return;
        }
        connections.add(ch);
        ch.pipeline().addLast(BackhaulHeaderHandler.NAME, new BackhaulHeaderHandler(inbound, peer));
    }
}
