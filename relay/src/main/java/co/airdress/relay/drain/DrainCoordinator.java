package co.airdress.relay.drain;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.health.HealthState;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drain: readiness turns DRAINING at once (the anycast controller moves the route away), after
 * {@code drain.delay} the listeners stop accepting, and the drain completes when the last
 * connection ends or {@code drain.timeout} passes (then the rest are closed).
 *
 * <p>{@code drain.timeout} bounds the whole drain, counted from {@link #start}: a timeout shorter
 * than the delay closes the remaining connections right after the listeners stop. The steps run on
 * a private scheduler thread, never on an event loop; the connection count is polled every
 * {@link #POLL} because it is one volatile read on the data path's side.
 */
public final class DrainCoordinator {

    private static final Logger log = LoggerFactory.getLogger(DrainCoordinator.class);

    /** How often the active connection count is looked at while waiting for it to reach zero. */
    static final Duration POLL = Duration.ofMillis(50);

    /** How often a drain closes the connections that can no longer finish here ({@link Connections#closeStranded}). */
    static final Duration STRANDED_SWEEP = Duration.ofMillis(250);

    /** Connections a drain waits for, and closes when its timeout passes. */
    public interface Connections {
        int activeConnections();

        void closeAll();

        /**
         * Closes, without waiting, the connections that can no longer finish at this PoP (those
         * through its tunnel to an operator that has attached at another PoP since); none by default.
         */
        default void closeStranded() {}
    }

    /** What a drain acts on: the data-plane listeners and their connections. */
    public interface Target extends Connections {
        void stopAccepting();

        /**
         * {@code main}, whose listeners stop accepting, with {@code more}'s connections waited for
         * and closed too (the backhaul's: its listener keeps accepting while the PoP's operators
         * are still attached here, so that the other PoPs' clients are not refused meanwhile).
         */
        static Target with(Target main, Connections more) {
            requireNonNull(main, "main");
            requireNonNull(more, "more");
            return new Target() {
                @Override
                public void stopAccepting() {
                    main.stopAccepting();
                }

                @Override
                public int activeConnections() {
                    return main.activeConnections() + more.activeConnections();
                }

                @Override
                public void closeAll() {
                    main.closeAll();
                    more.closeAll();
                }

                @Override
                public void closeStranded() {
                    main.closeStranded();
                    more.closeStranded();
                }
            };
        }
    }

    private final RelayConfig.Drain config;
    private final HealthState health;
    private final Target target;
    private final Clock clock;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final ScheduledExecutorService scheduler;
    private volatile @Nullable String cause;
    private @Nullable ScheduledFuture<?> poller;
    private long startNanos;
    private long sweptNanos;

    public DrainCoordinator(RelayConfig.Drain config, HealthState health, Target target) {
        this(config, health, target, Clock.systemUTC());
    }

    DrainCoordinator(RelayConfig.Drain config, HealthState health, Target target, Clock clock) {
        this.config = requireNonNull(config, "config");
        this.health = requireNonNull(health, "health");
        this.target = requireNonNull(target, "target");
        this.clock = requireNonNull(clock, "clock");
        requireNonNull(config.delay(), "config.delay");
        requireNonNull(config.timeout(), "config.timeout");
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-drain");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts draining (idempotent); {@code cause} is logged, e.g. "SIGTERM" or "POST /v1/drain". */
    public void start(String cause) {
        requireNonNull(cause, "cause");
        if (!started.compareAndSet(false, true)) {
            log.info("drain already in progress (started by {}); ignoring {}", this.cause, cause);
            return;
        }
        this.cause = cause;
        startNanos = System.nanoTime();
        sweptNanos = startNanos;
        // Readiness first, synchronously: the controller must see DRAINING on its very next probe.
        health.draining(clock.instant());
        log.info(
                "drain started by {}: readiness DRAINING, {} active connections, stop accepting in {}, timeout {}",
                cause,
                target.activeConnections(),
                config.delay(),
                config.timeout());
        scheduler.schedule(this::stopAccepting, config.delay().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether {@link #start} has been called. */
    public boolean isStarted() {
        return started.get();
    }

    /** The active connection count of the target (cheap; shown by /readyz). */
    public int activeConnections() {
        return target.activeConnections();
    }

    /** Completes when the drain is over. */
    public CompletableFuture<Void> done() {
        return done;
    }

    private void stopAccepting() {
        try {
            target.stopAccepting();
        } catch (RuntimeException e) {
            log.warn("drain ({}): stopping the listeners failed; waiting for connections anyway", cause, e);
        }
        log.info("drain ({}): listeners stopped accepting, {} active connections", cause, target.activeConnections());
        poller = scheduler.scheduleWithFixedDelay(this::check, 0, POLL.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void check() {
        if (done.isDone()) {
            return;
        }
        int active = target.activeConnections();
        if (active <= 0) {
            log.info("drain ({}): all connections finished after {} ms", cause, elapsedMillis());
            finish();
            return;
        }
        long now = System.nanoTime();
        if (now - sweptNanos >= STRANDED_SWEEP.toNanos()) {
            sweptNanos = now;
            try {
                target.closeStranded();
            } catch (RuntimeException e) {
                log.warn("drain ({}): closing the connections that cannot finish here failed", cause, e);
            }
        }
        if (now - startNanos >= config.timeout().toNanos()) {
            log.warn(
                    "drain ({}): timeout {} reached with {} active connections; closing them",
                    cause,
                    config.timeout(),
                    active);
            try {
                target.closeAll();
            } catch (RuntimeException e) {
                log.warn("drain ({}): closing the remaining connections failed", cause, e);
            }
            finish();
        }
    }

    private void finish() {
        ScheduledFuture<?> p = poller;
        if (p != null) {
            p.cancel(false);
        }
        scheduler.shutdown();
        log.info("drain ({}) complete after {} ms", cause, elapsedMillis());
        done.complete(null);
    }

    private long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
