package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.BackhaulConfig;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.dial.DirectDialer;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.listen.RelayServer;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.IpPrefix;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;

/**
 * A PoP's whole backhaul, started in order: the mesh interface (so that its addresses exist), the
 * PoPs table and its topic (announcing this PoP), the listener on the mesh addresses; and the
 * dialer that wraps the relay's own. Closed in the reverse order.
 */
public final class Backhaul implements AutoCloseable {

    private final MeshTunnel mesh;
    private final PopAnnouncements announcements;
    private final BackhaulServer server;
    private final BackhaulDialer dialer;
    private final PopTable pops;

    private Backhaul(
            MeshTunnel mesh,
            PopAnnouncements announcements,
            BackhaulServer server,
            BackhaulDialer dialer,
            PopTable pops) {
        this.mesh = mesh;
        this.announcements = announcements;
        this.server = server;
        this.dialer = dialer;
        this.pops = pops;
    }

    /** The backhauled connections this PoP delivers: a drain waits for them too. */
    public DrainCoordinator.Connections connections() {
        return server;
    }

    /** Which backhauled connections a drain closes at once ({@link BackhaulServer#stranded}). */
    public void stranded(Predicate<ConnectionRecord> stranded) {
        server.stranded(stranded);
    }

    /**
     * Starts the backhaul of {@code config} (which has {@code backhaul} and {@code directory.kafka});
     * {@code local} dials this PoP's own operators.
     */
    public static Backhaul start(
            RelayConfig config,
            Routes routes,
            OperatorDialer local,
            AttachmentLookup attachments,
            MeterRegistry registry,
            DataPathMetrics dataPath,
            EventLoopGroup group,
            Class<? extends ServerChannel> serverChannel)
            throws IOException, InterruptedException {
        BackhaulConfig b = requireNonNull(config.backhaul(), "config.backhaul");
        DirectoryConfig d = requireNonNull(config.directory(), "config.directory");
        BackhaulMetrics metrics = new BackhaulMetrics(registry);
        PopTable pops = new PopTable(config.pop(), b.maxPops());
        MeshTunnel mesh = MeshTunnel.start(b);
        PopAnnouncements announcements = null;
        BackhaulServer server = null;
        boolean ok = false;
        try {
            List<InetAddress> own =
                    b.addresses().stream().map(IpPrefix::address).toList();
            PopAnnouncement self = new PopAnnouncement(config.pop(), mesh.publicKey(), own, b.endpoint());
            announcements =
                    new PopAnnouncements(d.kafka(), b.topic(), self, pops, t -> mesh.apply(t.peers()), registry);
            server = new BackhaulServer(
                    config.pop(),
                    b,
                    routes,
                    local,
                    attachments,
                    pops,
                    metrics,
                    dataPath,
                    config.timeouts().idle(),
                    group,
                    serverChannel);
            server.start();
            announcements.start();
            BackhaulDialer dialer = new BackhaulDialer(
                    local,
                    new DirectDialer(config.timeouts().connect(), RelayServer.WATER_MARK),
                    attachments,
                    pops,
                    own,
                    b.port(),
                    config.pop(),
                    metrics);
            ok = true;
            return new Backhaul(mesh, announcements, server, dialer, pops);
        } finally {
            if (!ok) {
                if (server != null) {
                    server.close();
                }
                if (announcements != null) {
                    announcements.close();
                }
                mesh.close();
            }
        }
    }

    /** The relay's dialer with the backhaul in front of it. */
    public OperatorDialer dialer() {
        return dialer;
    }

    public PopTable pops() {
        return pops;
    }

    @Override
    public void close() {
        server.close();
        announcements.close();
        mesh.close();
    }
}
