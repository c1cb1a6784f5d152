package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.anycast.AnnouncementPolicy.Transition;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.metrics.JvmMetrics;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller loop: every interval, probe {@code /readyz}, feed {@link AnnouncementPolicy}, and
 * make BIRD do what the policy's state wants. One scheduler thread does all of it, so the policy
 * and the BIRD connection need no locks; {@code /status} and {@code /metrics} read a published
 * snapshot.
 *
 * <p>The VIP may be one static protocol per address family ({@code vip}, {@code vip6}): every one
 * of them is announced, drained and withdrawn together, from the one health signal.
 *
 * <p>Every tick also reads the VIP protocols' states back from BIRD: after a BIRD restart
 * (reconnect), a failed command, or someone's {@code birdc enable/disable}, the wanted state is
 * applied again. At startup BIRD is assumed to be wrong: whatever it announces, the VIP is
 * withdrawn until the relay has been healthy {@code rise} times.
 */
public final class AnycastController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnycastController.class);

    /** Everything the controller needs; built and validated by {@code bin/relay controller}. */
    public record Config(
            URI readyz,
            Path birdSocket,
            List<String> protocols,
            Path stateFile,
            Duration interval,
            Duration timeout,
            Duration birdTimeout,
            AnnouncementPolicy.Settings policy,
            InetSocketAddress statusListen,
            @Nullable String pop) {

        /** Without a PoP name: the metrics carry no {@code pop} label. */
        public Config(
                URI readyz,
                Path birdSocket,
                List<String> protocols,
                Path stateFile,
                Duration interval,
                Duration timeout,
                Duration birdTimeout,
                AnnouncementPolicy.Settings policy,
                InetSocketAddress statusListen) {
            this(readyz, birdSocket, protocols, stateFile, interval, timeout, birdTimeout, policy, statusListen, null);
        }

        public Config {
            requireNonNull(readyz, "readyz");
            requireNonNull(birdSocket, "birdSocket");
            protocols = List.copyOf(protocols);
            if (protocols.isEmpty()
                    || protocols.size() != protocols.stream().distinct().count()) {
                throw new IllegalArgumentException(
                        "protocols: " + protocols + " (expected: one or more distinct VIP protocol names)");
            }
            requireNonNull(stateFile, "stateFile");
            requireNonNull(interval, "interval");
            requireNonNull(timeout, "timeout");
            requireNonNull(birdTimeout, "birdTimeout");
            requireNonNull(policy, "policy");
            requireNonNull(statusListen, "statusListen");
            if (timeout.compareTo(interval) >= 0) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: < interval " + interval + ")");
            }
        }
    }

    /** What {@code /status} shows; immutable, replaced after every tick. */
    record Snapshot(
            PolicyState state,
            BirdAction wanted,
            @Nullable BirdAction applied,
            boolean birdConnected,
            Map<String, String> birdProtocolStates,
            @Nullable String birdError,
            long birdConnections,
            HealthProbe.@Nullable Result lastProbe,
            @Nullable Instant lastProbeAt,
            int consecutiveUp,
            int consecutiveFailures,
            int recentFlaps,
            Duration holdRemaining,
            @Nullable Transition lastTransition,
            @Nullable Instant lastTransitionAt,
            long probes) {}

    private final Config config;
    private final AnnouncementPolicy policy;
    private final HealthProbe probe;
    private final BirdControl bird;
    private final BirdVipRoute route;
    private final PrometheusMeterRegistry registry;
    private final JvmMetrics jvmMetrics;
    private final Map<ProbeOutcome, Counter> probeCounters = new EnumMap<>(ProbeOutcome.class);
    private final Timer probeTimer;
    private final Counter transitions;
    private final Counter birdFailures;
    private final AtomicLong birdConnectedGauge = new AtomicLong();
    private final ScheduledExecutorService loop;
    private final ExecutorService statusExecutor;
    private final HttpServer statusServer;

    // Loop-thread state.
    private @Nullable BirdAction applied;
    private boolean startupDone;
    private long appliedGeneration = -1;
    private @Nullable String birdError;
    /** BIRD's state of each VIP protocol, as last read; empty while unknown. */
    private Map<String, String> birdProtocolStates = Map.of();

    private HealthProbe.@Nullable Result lastProbe;
    private @Nullable Instant lastProbeAt;
    private @Nullable Transition lastTransition;
    private @Nullable Instant lastTransitionAt;
    private long probes;

    private volatile Snapshot snapshot;
    private volatile @Nullable ScheduledFuture<?> ticking;

    /** Binds the status listener; nothing runs until {@link #start}. */
    public AnycastController(Config config) throws IOException {
        this.config = requireNonNull(config, "config");
        this.registry = registry(config.pop());
        this.jvmMetrics = JvmMetrics.bindTo(registry);
        this.policy = new AnnouncementPolicy(config.policy());
        this.probe = new HealthProbe(config.readyz(), config.timeout());
        this.bird = new BirdControl(config.birdSocket(), config.birdTimeout());
        this.route = new BirdVipRoute(bird, new VipStateFile(config.stateFile()), config.protocols());
        for (ProbeOutcome o : ProbeOutcome.values()) {
            probeCounters.put(
                    o,
                    Counter.builder("anycast.probes")
                            .description("readyz probes by outcome")
                            .tag("outcome", o.name())
                            .register(registry));
        }
        probeTimer = Timer.builder("anycast.probe.duration")
                .description("readyz probe time")
                .register(registry);
        transitions = Counter.builder("anycast.transitions")
                .description("policy state changes")
                .register(registry);
        birdFailures = Counter.builder("anycast.bird.failures")
                .description("BIRD commands that failed or found BIRD unreachable")
                .register(registry);
        for (PolicyState s : PolicyState.values()) {
            Gauge.builder("anycast.state", this, c -> c.snapshot.state() == s ? 1 : 0)
                    .description("1 for the controller's current state")
                    .tag("state", s.name())
                    .register(registry);
        }
        Gauge.builder(
                        "anycast.announced",
                        this,
                        c -> c.snapshot.applied() != null
                                        && c.snapshot.applied().announces()
                                ? 1
                                : 0)
                .description("1 while BIRD has been told to announce the VIP")
                .register(registry);
        Gauge.builder(
                        "anycast.draining",
                        this,
                        c -> c.snapshot.applied() == BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN ? 1 : 0)
                .description("1 while the VIP is announced with GRACEFUL_SHUTDOWN")
                .register(registry);
        Gauge.builder("anycast.flaps.recent", this, c -> c.snapshot.recentFlaps())
                .description("withdrawals by failure within the flap window")
                .register(registry);
        Gauge.builder(
                        "anycast.hold.remaining",
                        this,
                        c -> c.snapshot.holdRemaining().toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("re-announcement still held back by the flap back-off")
                .register(registry);
        for (String protocol : config.protocols()) {
            Gauge.builder(
                            "anycast.bird.protocol.up",
                            this,
                            c -> BirdVipRoute.announces(
                                            c.snapshot.birdProtocolStates().get(protocol))
                                    ? 1
                                    : 0)
                    .description("1 while BIRD reports the VIP protocol up (announcing)")
                    .tag("protocol", protocol)
                    .register(registry);
        }
        Gauge.builder("anycast.bird.connected", birdConnectedGauge, AtomicLong::get)
                .description("1 while the BIRD control socket is connected")
                .register(registry);
        Gauge.builder("anycast.bird.connections", this, c -> c.snapshot.birdConnections())
                .description("connections made to BIRD's control socket (a rise means BIRD restarted)")
                .register(registry);
        this.snapshot = snapshotNow(System.nanoTime());

        this.loop = Executors.newSingleThreadScheduledExecutor(r -> thread(r, "anycast-controller"));
        this.statusExecutor = Executors.newSingleThreadExecutor(r -> thread(r, "anycast-status"));
        this.statusServer = HttpServer.create(config.statusListen(), 16);
        statusServer.createContext("/status", this::serveStatus);
        statusServer.createContext("/metrics", this::serveMetrics);
        statusServer.setExecutor(statusExecutor);
    }

    /** Every meter carries the PoP's name as {@code pop}, as the relay's do, when it is known. */
    private static PrometheusMeterRegistry registry(@Nullable String pop) {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (pop != null) {
            r.config().commonTags("pop", pop);
        }
        return r;
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts the status listener and the loop; the first tick re-syncs with BIRD at once. */
    public void start() {
        statusServer.start();
        log.info(
                "anycast controller: probing {} every {} (timeout {}, rise {}, fall {}), BIRD socket {} protocols {},"
                        + " state file {}, status on http://{}/status",
                config.readyz(),
                config.interval(),
                config.timeout(),
                config.policy().rise(),
                config.policy().fall(),
                config.birdSocket(),
                String.join(", ", config.protocols()),
                config.stateFile(),
                statusAddressText());
        ticking =
                loop.scheduleAtFixedRate(this::tickSafely, 0, config.interval().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Where the status listener actually listens (port 0 resolved). */
    InetSocketAddress statusAddress() {
        return statusServer.getAddress();
    }

    private String statusAddressText() {
        InetSocketAddress a = statusAddress();
        return a.getHostString() + ":" + a.getPort();
    }

    Snapshot snapshot() {
        return snapshot;
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException | Error e) {
            // A scheduled task that throws is never run again; the controller must keep going.
            log.error("anycast controller tick failed", e);
        }
    }

    private void tick() {
        if (!startupDone) {
            startupResync();
        }
        long started = System.nanoTime();
        HealthProbe.Result result = probe.probe();
        long now = System.nanoTime();
        probeTimer.record(now - started, TimeUnit.NANOSECONDS);
        probeCounters.get(result.outcome()).increment();
        probes++;
        lastProbe = result;
        lastProbeAt = Instant.now();
        for (Transition t : policy.onProbe(now, result.outcome())) {
            record(t, result);
        }
        reconcile();
        snapshot = snapshotNow(now);
    }

    private void record(Transition t, HealthProbe.Result cause) {
        transitions.increment();
        lastTransition = t;
        lastTransitionAt = Instant.now();
        log.info(
                "anycast: {} -> {}{}: {} [last probe: {}]",
                t.from(),
                t.to(),
                t.action() == null ? "" : " (BIRD: " + t.action() + ")",
                t.cause(),
                cause.detail());
    }

    /**
     * First contact with BIRD: say what it does, and make it do what the policy wants, which is a
     * withdrawal unless the relay has already been proven healthy while BIRD was unreachable.
     */
    private void startupResync() {
        BirdVipRoute.Observed observed = route.observe();
        if (observed instanceof BirdVipRoute.Observed.Failed f) {
            if (!f.cause().equals(birdError)) {
                log.warn("anycast startup: cannot read BIRD's state yet; will re-sync as soon as BIRD answers");
            }
            noteBirdError(f.cause());
            return;
        }
        BirdVipRoute.Observed.State state = (BirdVipRoute.Observed.State) observed;
        startupDone = true;
        birdProtocolStates = state.states();
        BirdAction wanted = policy.state().wanted();
        if (!state.matches(wanted) && !wanted.announces()) {
            log.warn(
                    "anycast startup: BIRD already announces the VIP ({}) but the relay has not been"
                            + " proven healthy yet (rise {}): withdrawing",
                    state.text(),
                    config.policy().rise());
        } else {
            log.info("anycast startup: BIRD's VIP protocols: {}; the controller wants {}", state.text(), wanted);
        }
        applyWanted(wanted, "startup re-sync");
    }

    private void reconcile() {
        if (!startupDone) {
            return;
        }
        BirdAction wanted = policy.state().wanted();
        if (wanted != applied) {
            applyWanted(wanted, "policy wants " + wanted);
            return;
        }
        BirdVipRoute.Observed observed = route.observe();
        if (observed instanceof BirdVipRoute.Observed.Failed f) {
            noteBirdError(f.cause());
            return;
        }
        BirdVipRoute.Observed.State state = (BirdVipRoute.Observed.State) observed;
        birdProtocolStates = state.states();
        if (bird.generation() != appliedGeneration) {
            log.warn(
                    "anycast: reconnected to BIRD (connection #{}; BIRD restarted?): {}; re-applying {}",
                    bird.generation(),
                    state.text(),
                    wanted);
            applyWanted(wanted, "BIRD reconnect");
        } else if (!state.matches(wanted)) {
            log.warn("anycast: BIRD drifted: {} but the controller wants {}; re-applying", state.text(), wanted);
            applyWanted(wanted, "drift");
        } else if (birdError != null) {
            log.info("anycast: BIRD answers again");
            birdError = null;
        }
        birdConnectedGauge.set(bird.isConnected() ? 1 : 0);
    }

    private void applyWanted(BirdAction wanted, String why) {
        long started = System.nanoTime();
        BirdVipRoute.Applied result = route.apply(wanted);
        long micros = (System.nanoTime() - started) / 1000;
        birdConnectedGauge.set(bird.isConnected() ? 1 : 0);
        switch (result) {
            case BirdVipRoute.Applied.Done done -> {
                // Applies happen only on a change, a reconnect or a drift, so this never floods the log.
                log.info("anycast: BIRD now {} ({}; {}; {} ms)", wanted, why, done.commands(), micros / 1000.0);
                applied = wanted;
                appliedGeneration = bird.generation();
                birdError = null;
                // Read the protocols back now, so /status and the metrics show the change at once
                // rather than after the next tick.
                if (route.observe() instanceof BirdVipRoute.Observed.State state) {
                    birdProtocolStates = state.states();
                }
            }
            case BirdVipRoute.Applied.Failed failed -> {
                applied = null;
                noteBirdError(failed.cause());
            }
        }
    }

    private void noteBirdError(String cause) {
        birdFailures.increment();
        if (!cause.equals(birdError)) {
            log.warn("anycast: BIRD: {}", cause);
        }
        birdError = cause;
        birdProtocolStates = Map.of();
    }

    private Snapshot snapshotNow(long now) {
        return new Snapshot(
                policy.state(),
                policy.state().wanted(),
                applied,
                bird.isConnected(),
                birdProtocolStates,
                birdError,
                bird.generation(),
                lastProbe,
                lastProbeAt,
                policy.consecutiveUp(),
                policy.consecutiveFailures(),
                policy.recentFlaps(now),
                policy.holdRemaining(now),
                lastTransition,
                lastTransitionAt,
                probes);
    }

    /** The {@code /status} document: what the controller does, why, and with which settings. */
    record Status(
            PolicyState state,
            BirdAction wanted,
            @Nullable BirdAction applied,
            BirdStatus bird,
            ProbeStatus probe,
            Backoff backoff,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            LastTransition lastTransition,

            Settings settings) {

        record BirdStatus(
                String socket,
                List<ProtocolStatus> protocols,
                boolean connected,
                long connections,
                @Nullable String error) {}

        /** One VIP protocol (one per address family) and BIRD's State column for it; null while unknown. */
        record ProtocolStatus(String name, @Nullable String state) {}

        record ProbeStatus(
                String url,
                long probes,
                @Nullable ProbeOutcome last,
                @Nullable String lastDetail,
                @Nullable Instant lastAt,
                int consecutiveUp,
                int consecutiveFailures) {}

        record Backoff(int recentFlaps, long holdRemainingMillis) {}

        record LastTransition(
                PolicyState from,
                PolicyState to,
                String cause,
                @Nullable Instant at) {}

        record Settings(
                long intervalMillis,
                long timeoutMillis,
                int rise,
                int fall,
                long drainDelayMillis,
                long backoffBaseMillis,
                long backoffMaxMillis,
                long flapWindowMillis) {}
    }

    static Status status(Snapshot s, Config c) {
        HealthProbe.Result last = s.lastProbe();
        Transition t = s.lastTransition();
        AnnouncementPolicy.Settings p = c.policy();
        return new Status(
                s.state(),
                s.wanted(),
                s.applied(),
                new Status.BirdStatus(
                        c.birdSocket().toString(),
                        c.protocols().stream()
                                .map(name -> new Status.ProtocolStatus(
                                        name, s.birdProtocolStates().get(name)))
                                .toList(),
                        s.birdConnected(),
                        s.birdConnections(),
                        s.birdError()),
                new Status.ProbeStatus(
                        c.readyz().toString(),
                        s.probes(),
                        last == null ? null : last.outcome(),
                        last == null ? null : last.detail(),
                        s.lastProbeAt(),
                        s.consecutiveUp(),
                        s.consecutiveFailures()),
                new Status.Backoff(s.recentFlaps(), s.holdRemaining().toMillis()),
                t == null ? null : new Status.LastTransition(t.from(), t.to(), t.cause(), s.lastTransitionAt()),
                new Status.Settings(
                        c.interval().toMillis(),
                        c.timeout().toMillis(),
                        p.rise(),
                        p.fall(),
                        p.drainDelay().toMillis(),
                        p.backoffBase().toMillis(),
                        p.backoffMax().toMillis(),
                        p.flapWindow().toMillis()));
    }

    private void serveStatus(HttpExchange exchange) throws IOException {
        byte[] body = JsonBodies.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(status(snapshot, config));
        respond(exchange, "application/json", body);
    }

    private void serveMetrics(HttpExchange exchange) throws IOException {
        respond(
                exchange,
                "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange exchange, String type, byte[] body) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /**
     * Stops the loop and withdraws the VIP: with no controller running nothing would withdraw it
     * when the relay fails, so an announced VIP must not outlive the controller.
     */
    @Override
    public void close() {
        ScheduledFuture<?> t = ticking;
        if (t != null) {
            t.cancel(false);
        }
        try {
            loop.submit(() -> {
                        log.info("anycast controller stopping: withdrawing the VIP");
                        applyWanted(BirdAction.WITHDRAW, "controller stopping");
                    })
                    .get(config.birdTimeout().multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("anycast controller stopping: withdraw did not complete: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.shutdownNow();
        statusServer.stop(0);
        statusExecutor.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bird.close();
        probe.close();
        jvmMetrics.close();
        registry.close();
    }
}
