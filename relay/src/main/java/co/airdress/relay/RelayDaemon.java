package co.airdress.relay;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.attach.KafkaAttachments;
import co.airdress.relay.attach.TunnelAttachments;
import co.airdress.relay.backhaul.AttachmentLookup;
import co.airdress.relay.backhaul.Backhaul;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.config.RelayContext;
import co.airdress.relay.dial.DirectDialer;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.dial.TunnelDialer;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.drain.Signals;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.listen.RelayServer;
import co.airdress.relay.listen.Transport;
import co.airdress.relay.management.ManagementServer;
import co.airdress.relay.management.PopStatus;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.JvmMetrics;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.metrics.StateMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.wireguard.OperatorTunnel;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PoP daemon: config, then the route table through the operator directory (which loads, watches
 * and hot-reloads the operators file), then the data-plane listeners on one event loop per core,
 * then the management listener, with a drain coordinator over all of it. {@link #run} blocks until
 * a drain (SIGTERM, SIGINT or POST /v1/drain) completes and returns the exit status, 0.
 */
public final class RelayDaemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayDaemon.class);

    private final RelayConfig config;
    private final HealthState health;
    private final RelayMetrics metrics;
    private final JvmMetrics jvmMetrics;
    private final Routes routes;
    private final OperatorDirectory operators;
    private final EventLoopGroup group;
    private final RelayServer server;
    private final DrainCoordinator drain;
    private final ManagementServer management;
    private final InetSocketAddress managementAddress;
    private final @Nullable OperatorTunnel tunnel;
    private final @Nullable Backhaul backhaul;
    private final @Nullable KafkaAttachments attachments;

    private RelayDaemon(RelayConfig config) throws InterruptedException {
        this.config = requireNonNull(config, "config");
        List<ConfigProblem> unprotected = RelayConfigFile.secretFileProblems(config);
        if (!unprotected.isEmpty()) {
            // As `relay run` reports them when reading the config file; here for embedded starts.
            throw new IllegalStateException(
                    unprotected.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        }
        this.health = new HealthState(config.pop());
        this.metrics = new RelayMetrics(config.pop());
        this.routes = new Routes(RouteTable.empty());
        this.tunnel = startTunnel(config, metrics, health);
        DataPathMetrics dataPath = new DataPathMetrics(metrics.registry());
        StateMetrics.register(metrics.registry(), health, config);
        OperatorDirectory directory =
                OperatorDirectory.of(config, routes, health, metrics).relay(RelayContext.of(config));
        // A removed operator's meters go once no new connection can be routed to it.
        directory.afterApply(ops -> dataPath.retainOperators(directory::routes));
        this.operators = directory;
        OperatorTunnel t = tunnel;
        if (t != null) {
            // Peers change before the route table that sends connections to them.
            operators.beforeApply(t::apply);
        }
        boolean ok = false;
        // The directory loads (the operators file, or the log read to its end) on a thread of its
        // own while the rest starts; the listeners start once it is done. An invalid operators
        // file or a missing topic fails startup. A directory may start without a table (its log
        // unreachable, no snapshot): the PoP is then not ready.
        CompletableFuture<Void> loading = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("relay-directory-start").start(() -> {
            try {
                operators.start();
                loading.complete(null);
            } catch (Throwable e) {
                loading.completeExceptionally(e);
            }
        });
        this.jvmMetrics = JvmMetrics.bindTo(metrics.registry()); // while the directory loads
        // With a directory on Kafka, the attachments of the network's PoPs too (docs/directory.md):
        // this PoP's handshakes are published, other PoPs' receiver indexes resolved (re-attachment)
        // and connections of operators attached elsewhere handed over the backhaul.
        KafkaAttachments a = null;
        AttachmentLookup attachedAt = AttachmentLookup.LOCAL;
        DirectoryConfig shared = config.directory();
        if (shared != null) {
            a = new KafkaAttachments(shared.kafka(), config.pop(), metrics.registry());
            TunnelAttachments links = TunnelAttachments.of(a, operators::get);
            if (t != null) {
                t.addPeerEventListener(links);
                t.indexResolver(links);
            }
            attachedAt = links;
            a.start();
        }
        this.attachments = a;
        Transport transport = Transport.forListen(Transport.select(), config.listen());
        int loops = Runtime.getRuntime().availableProcessors();
        this.group = new MultiThreadIoEventLoopGroup(loops, transport.ioHandlerFactory());
        OperatorDialer dialer = defaultDialer(config, t, metrics);
        try {
            this.backhaul = startBackhaul(config, dialer, attachedAt, dataPath, transport);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (a != null) {
                a.close();
            }
            loading.handle((v, failure) -> null).join();
            operators.close();
            if (t != null) {
                t.close();
            }
            jvmMetrics.close();
            throw e;
        }
        Backhaul bh = backhaul;
        if (bh != null) {
            dialer = bh.dialer();
        }
        this.server = new RelayServer(config, routes, dialer, dataPath, health, group, transport);
        if (a != null) {
            // A drain closes at once what cannot finish here: a connection through this PoP's
            // tunnel to an operator that has attached at another PoP since (its replies go there).
            AttachmentLookup lookup = attachedAt;
            String self = config.pop();
            Predicate<ConnectionRecord> stranded = r -> lookup.strandedAt(r, self);
            server.stranded(stranded);
            if (bh != null) {
                bh.stranded(stranded);
            }
        }
        PopStatus status = null;
        ManagementServer started = null;
        try {
            this.drain = new DrainCoordinator(
                    config.drain(),
                    health,
                    bh == null ? server : DrainCoordinator.Target.with(server, bh.connections()));
            status = new PopStatus(config, health, operators, dataPath, t);
            this.management = new ManagementServer(config.management(), health, metrics, operators, drain)
                    .watchEventLoops(group) // /livez fails if a data-plane loop stops answering
                    .tunnel(t)
                    .statusPage(status)
                    .attachments(a);
            // Management answers while the directory loads (/readyz: DOWN until the listeners are
            // bound; /livez, /metrics): a long bootstrap can be watched, and the controller's
            // polls meet a warm server once the PoP is ready.
            this.managementAddress = management.start();
            started = management;
            awaitLoaded(loading);
            server.start(); // binds nothing if a drain (POST /v1/drain) has begun meanwhile
            ok = true;
        } finally {
            if (!ok) {
                if (started != null) {
                    started.close();
                }
                if (status != null) {
                    status.close();
                }
                server.close();
                if (bh != null) {
                    bh.close();
                }
                if (a != null) {
                    a.close();
                }
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                loading.handle((v, failure) -> null).join();
                operators.close();
                if (t != null) {
                    t.close();
                }
                jvmMetrics.close();
            }
        }
        log.info(
                "relay {} up: {} event loops ({}), {} hosts, management on {}",
                config.pop(),
                loops,
                transport.label(),
                routes.current().size(),
                managementAddress);
    }

    /** Waits for the directory to have started; its failure is thrown as it was. */
    private static void awaitLoaded(CompletableFuture<Void> loading) throws InterruptedException {
        try {
            loading.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    private static @Nullable OperatorTunnel startTunnel(RelayConfig config, RelayMetrics metrics, HealthState health) {
        WireGuardConfig wg = config.wireguard();
        if (wg == null) {
            return null;
        }
        try {
            OperatorTunnel t = OperatorTunnel.start(wg, config.limits().ipv6Prefix(), metrics.registry());
            health.tunnel(true);
            return t;
        } catch (IOException e) {
            throw new IllegalStateException("wireguard: cannot start " + wg.interfaceName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The backhaul when configured: the mesh interface, the PoPs topic and the listener on the mesh
     * addresses; {@code attachedAt} says where each operator is attached.
     */
    private @Nullable Backhaul startBackhaul(
            RelayConfig config,
            OperatorDialer local,
            AttachmentLookup attachedAt,
            DataPathMetrics dataPath,
            Transport transport)
            throws InterruptedException {
        if (config.backhaul() == null) {
            return null;
        }
        try {
            return Backhaul.start(
                    config, routes, local, attachedAt, metrics.registry(), dataPath, group, transport.serverChannel());
        } catch (IOException e) {
            throw new IllegalStateException(
                    "backhaul: cannot start " + config.backhaul().interfaceName() + ": " + e.getMessage(), e);
        }
    }

    private static OperatorDialer defaultDialer(
            RelayConfig config, @Nullable OperatorTunnel tunnel, RelayMetrics metrics) {
        DirectDialer direct = new DirectDialer(config.timeouts().connect(), RelayServer.WATER_MARK);
        if (tunnel == null && config.wireguard() == null) {
            return direct;
        }
        Counter refused = Counter.builder("relay.wireguard.unreachable")
                .description("Connections to WireGuard operators refused at once: no live session and no endpoint")
                .register(metrics.registry());
        return new TunnelDialer(direct, tunnel == null ? key -> false : tunnel::reachable, refused);
    }

    /**
     * Starts everything: the WireGuard tunnel if configured, the operators, the listeners, the
     * management listener; throws if a secret file (token, WireGuard key) is open to group or
     * others, a listener cannot bind, the tunnel cannot start or the operators file is invalid.
     */
    public static RelayDaemon start(RelayConfig config) throws InterruptedException {
        return new RelayDaemon(config);
    }

    /** Runs until a drain completes: installs the signal handlers, waits, shuts down; returns 0. */
    public static int run(RelayConfig config) throws InterruptedException {
        try (RelayDaemon daemon = start(config)) {
            Signals.install(daemon.drain);
            daemon.drain.done().join();
            log.info("drain complete, exiting");
        }
        return 0;
    }

    public @Nullable InetSocketAddress address(Listener listener) {
        return server.address(listener);
    }

    public InetSocketAddress managementAddress() {
        return managementAddress;
    }

    public DrainCoordinator drain() {
        return drain;
    }

    public CompletableFuture<Void> drained() {
        return drain.done();
    }

    public Routes routes() {
        return routes;
    }

    public RelayServer server() {
        return server;
    }

    public RelayConfig config() {
        return config;
    }

    public HealthState health() {
        return health;
    }

    /** The WireGuard tunnel, when configured. */
    public @Nullable OperatorTunnel tunnel() {
        return tunnel;
    }

    /**
     * The attachments of the network's PoPs, when the directory is on Kafka: where the tunnel
     * records this PoP's completed handshakes ({@link KafkaAttachments#publishLocal}) and looks up
     * receiver indexes it did not issue ({@link KafkaAttachments#attachments()}).
     */
    public @Nullable KafkaAttachments attachments() {
        return attachments;
    }

    @Override
    public void close() {
        management.close();
        server.close();
        Backhaul bh = backhaul;
        if (bh != null) {
            bh.close();
        }
        KafkaAttachments a = attachments;
        if (a != null) {
            a.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        operators.close();
        OperatorTunnel t = tunnel;
        if (t != null) {
            health.tunnel(false);
            t.close(); // the interface disappears with the TUN descriptor
        }
        jvmMetrics.close();
    }
}
