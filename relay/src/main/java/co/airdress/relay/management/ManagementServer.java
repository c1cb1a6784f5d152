package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.attach.KafkaAttachments;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.io.Sha256;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.wireguard.OperatorTunnel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management listener (Netty HTTP): GET /livez, GET /readyz, GET /metrics, GET /v1/operators,
 * GET/PUT/DELETE /v1/operators/{name}, GET /v1/peers, POST /v1/drain, and the status page at GET /
 * and /status. See docs/management.md.
 *
 * <p>Every connection is bounded: request bodies up to {@link #MAX_BODY} (413 beyond), heads up to
 * 8 KiB (the codec's default), at most {@link ManagementHandler#MAX_QUEUED} pipelined requests
 * waiting, each complete request within {@link #REQUEST_TIMEOUT} of the connection opening or of
 * the previous answer, and {@link #IDLE_TIMEOUT} without traffic closes it. At most
 * {@link #MAX_CONNECTIONS} are open; when all are, a new connection takes the place of one that is
 * only waiting for a request ({@link ManagementConnections}), so held connections cannot keep
 * health probes out.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

    static final int MAX_BODY = 64 * 1024;
    /** Time for each complete request, from the connection opening or the previous answer. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Time without any traffic (e.g. an answer the client does not read) before a connection is closed. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    static final Duration LIVENESS_TIMEOUT = Duration.ofSeconds(2);
    /** Concurrent management connections (probes and scrapes need few); see {@link ManagementConnections}. */
    static final int MAX_CONNECTIONS = 64;
    /** How often the event loops are watched, the status page's rates sampled and the controller asked. */
    static final Duration TICK = Duration.ofSeconds(1);

    private final RelayConfig.Management config;
    private final HealthState health;
    private final RelayMetrics metrics;
    private final OperatorDirectory operators;
    private final DrainCoordinator drain;
    private final ChannelGroup channels = new DefaultChannelGroup("management", GlobalEventExecutor.INSTANCE);
    private final Duration requestTimeout;
    private final Duration idleTimeout;
    private @Nullable Channel serverChannel;
    private @Nullable EventLoopGroup ownGroup;
    private volatile @Nullable EventLoopGroup watchedLoops;
    private volatile @Nullable OperatorTunnel tunnel;
    private volatile @Nullable KafkaAttachments attachments;
    private volatile @Nullable PopStatus status;
    private volatile @Nullable EventLoopWatch loopWatch;
    private @Nullable ScheduledFuture<?> ticker;

    public ManagementServer(
            RelayConfig.Management config,
            HealthState health,
            RelayMetrics metrics,
            OperatorDirectory operators,
            DrainCoordinator drain) {
        this(config, health, metrics, operators, drain, REQUEST_TIMEOUT, IDLE_TIMEOUT);
    }

    ManagementServer(
            RelayConfig.Management config,
            HealthState health,
            RelayMetrics metrics,
            OperatorDirectory operators,
            DrainCoordinator drain,
            Duration requestTimeout,
            Duration idleTimeout) {
        this.requestTimeout = requireNonNull(requestTimeout, "requestTimeout");
        this.idleTimeout = requireNonNull(idleTimeout, "idleTimeout");
        this.config = requireNonNull(config, "config");
        this.health = requireNonNull(health, "health");
        this.metrics = requireNonNull(metrics, "metrics");
        this.operators = requireNonNull(operators, "operators");
        this.drain = requireNonNull(drain, "drain");
    }

    /**
     * Makes /livez also check that every event loop of {@code group} (the data plane's) runs a task
     * within {@link #LIVENESS_TIMEOUT}: a loop stuck in a blocking call or a busy loop fails liveness.
     * Call before {@link #start}.
     */
    public ManagementServer watchEventLoops(EventLoopGroup group) {
        this.watchedLoops = requireNonNull(group, "group");
        return this;
    }

    /** Serves GET /v1/peers from {@code tunnel} (without one, the list is empty). Call before {@link #start}. */
    public ManagementServer tunnel(@Nullable OperatorTunnel operatorTunnel) {
        this.tunnel = operatorTunnel;
        return this;
    }

    /**
     * Shows each operator's attachment in GET /v1/operators/{name} from {@code kafkaAttachments}
     * (without them, {@code "attachment": null}). Call before {@link #start}.
     */
    public ManagementServer attachments(@Nullable KafkaAttachments kafkaAttachments) {
        this.attachments = kafkaAttachments;
        return this;
    }

    /**
     * Serves the status page (GET / and /status) from {@code popStatus}, which this server then
     * ticks every {@link #TICK} and closes with itself; without one, those paths answer 404. Call
     * before {@link #start}.
     */
    public ManagementServer statusPage(PopStatus popStatus) {
        this.status = requireNonNull(popStatus, "popStatus");
        return this;
    }

    /** Binds on an event loop of its own (one thread, NIO: the management load is tiny). */
    public InetSocketAddress start() {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ownGroup = group;
        try {
            return start(group);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Binds on {@code group} (the daemon's event loops, or its own) and returns the bound address. */
    public InetSocketAddress start(EventLoopGroup group) {
        requireNonNull(group, "group");
        if (serverChannel != null) {
            throw new IllegalStateException("already started");
        }
        byte @Nullable [] tokenDigest = readToken(config.tokenFile());
        ManagementConnections connections = new ManagementConnections(MAX_CONNECTIONS, metrics.registry());
        PopStatus pop = status;
        ManagementHandler.Context context = new ManagementHandler.Context(
                health,
                metrics,
                operators,
                drain,
                tokenDigest,
                watchedLoops,
                tunnel,
                connections,
                pop == null ? null : () -> pop.view(Instant.now(), loopWatch),
                attachments);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(serverChannelType(group))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        RequestDeadlineHandler deadline = connections.deadline(requestTimeout);
                        if (!connections.admit(ch, deadline)) {
                            ch.close();
                            return;
                        }
                        channels.add(ch);
                        ch.pipeline()
                                .addLast(
                                        "idle",
                                        new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregate", new HttpObjectAggregator(MAX_BODY))
                                .addLast(RequestDeadlineHandler.NAME, deadline)
                                .addLast(ManagementHandler.NAME, new ManagementHandler(context));
                    }
                });
        Channel ch;
        try {
            ch = b.bind(config.listen()).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted binding " + config.listen(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind the management listener to " + config.listen() + ": " + e, e);
        }
        serverChannel = ch;
        EventLoopGroup loops = watchedLoops;
        EventLoopWatch watch = loops == null ? null : new EventLoopWatch(loops, metrics.registry());
        loopWatch = watch;
        if (watch != null || pop != null) {
            ticker = ch.eventLoop()
                    .scheduleAtFixedRate(
                            () -> {
                                // A scheduled task that throws is never run again: log and go on.
                                try {
                                    if (watch != null) {
                                        watch.tick();
                                    }
                                    if (pop != null) {
                                        pop.tick(System.nanoTime());
                                    }
                                } catch (RuntimeException e) {
                                    log.warn("management tick failed", e);
                                }
                            },
                            0,
                            TICK.toMillis(),
                            TimeUnit.MILLISECONDS);
        }
        InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
        log.info(
                "management listening on {} ({})",
                bound,
                tokenDigest != null
                        ? "/v1 calls need the bearer token"
                        : "no management.token_file: /v1 reads open, mutating /v1 calls refused");
        return bound;
    }

    /** The bound address, once started. */
    public InetSocketAddress boundAddress() {
        Channel ch = serverChannel;
        if (ch == null) {
            throw new IllegalStateException("not started");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    @Override
    public void close() {
        ScheduledFuture<?> t = ticker;
        if (t != null) {
            t.cancel(false);
        }
        EventLoopWatch watch = loopWatch;
        if (watch != null) {
            watch.close();
        }
        PopStatus pop = status;
        if (pop != null) {
            pop.close();
        }
        Channel ch = serverChannel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        EventLoopGroup group = ownGroup;
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static Class<? extends ServerChannel> serverChannelType(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup io) {
            if (io.isIoType(EpollIoHandler.class)) {
                return EpollServerSocketChannel.class;
            }
            if (io.isIoType(IoUringIoHandler.class)) {
                return IoUringServerSocketChannel.class;
            }
        }
        return NioServerSocketChannel.class;
    }

    /** Reads the token once; only its digest is kept, so the token is never in a heap dump or log. */
    private static byte @Nullable [] readToken(@Nullable Path tokenFile) {
        if (tokenFile == null) {
            return null;
        }
        String token;
        try {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("management.token_file: cannot read " + tokenFile, e);
        }
        if (token.isEmpty()) {
            throw new IllegalStateException(
                    "management.token_file: " + tokenFile + " is empty (expected: a bearer token)");
        }
        return Sha256.of(token);
    }
}
