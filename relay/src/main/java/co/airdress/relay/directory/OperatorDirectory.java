package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayContext;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.RecentEvents;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators in force and where they come from: the operators file ({@link OperatorsFileSource},
 * the default) or the directory's log ({@link KafkaDirectorySource}). Each new set is put in force
 * the same way: listeners first (the WireGuard peers), then the route table in {@link Routes}.
 *
 * <p>Every mutation (a reload, an applied batch of the log, an admin API change) runs on one
 * private thread, so they are serialised without a lock and never run on an event loop; reads
 * ({@link #list}, {@link #get}) use an immutable snapshot and never block. Swapping the route
 * table only changes what new connections look up: established connections hold their operator
 * and are never touched.
 */
public final class OperatorDirectory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OperatorDirectory.class);

    static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);

    /** The outcome of a put. */
    public sealed interface Put {
        record Created(Operator operator) implements Put {}

        record Updated(Operator operator) implements Put {}

        /**
         * A host is claimed by another operator (409): the same pattern, a host under its
         * wildcard, or a wildcard over its host ({@link co.airdress.relay.config.OperatorClaims});
         * with the log, also a key or address claimed by a write that came first.
         */
        record Conflict(ClaimConflict conflict) implements Put {}

        record Invalid(List<ConfigProblem> problems) implements Put {}

        /** The directory's log refused the record for another reason than a conflict (409). */
        record Rejected(String reason, String message) implements Put {}

        /** The directory's log did not confirm the change in time (503); it may still be applied. */
        record Unavailable(String message) implements Put {}
    }

    /** The outcome of a delete. */
    public sealed interface Delete {
        record Deleted(String name) implements Delete {}

        record NotFound(String name) implements Delete {}

        /** The directory's log did not confirm the change in time (503); it may still be applied. */
        record Unavailable(String message) implements Delete {}
    }

    /** The outcome of a reload of the operators file. */
    public enum Reload {
        /** A new table is in force. */
        OK,
        /** The file's content is what is already in force (e.g. our own write): nothing to do. */
        UNCHANGED,
        /** The file is invalid; the old table stays. */
        INVALID,
        /** The file could not be read; the old table stays. */
        IO_ERROR
    }

    /** The operators file has an invalid edit that an API change would overwrite. */
    public static final class UnappliedEditException extends IllegalStateException {
        UnappliedEditException(String message) {
            super(message);
        }
    }

    private final Routes routes;
    private final HealthState health;
    private final RelayMetrics metrics;
    private final ScheduledThreadPoolExecutor executor;
    private final List<Consumer<List<Operator>>> beforeApply = new CopyOnWriteArrayList<>();
    private final List<Consumer<List<Operator>>> afterApply = new CopyOnWriteArrayList<>();
    private final DirectorySource source;

    // Written only on the executor thread; the snapshot is immutable and published via volatile.
    private volatile Map<String, Operator> snapshot = Map.of();
    private volatile long version;
    private volatile boolean loaded;
    // Operators left out of the route table, by name, with why.
    private volatile Map<String, String> unroutable = Map.of();
    // The route table this directory put in force last (directory's thread only).
    private RouteTable table = RouteTable.empty();
    // This host's addresses the last apply checked against (directory's thread only).
    private Map<InetAddress, String> checkedHostAddresses = Map.of();
    private boolean started;
    private RelayContext relay = RelayContext.of(null, RelayConfig.Upstreams.DEFAULT);

    /** A directory whose source is the operators file {@code file}. */
    public OperatorDirectory(Path file, Routes routes, HealthState health, RelayMetrics metrics) {
        this(file, routes, health, metrics, DEFAULT_DEBOUNCE);
    }

    /** {@code debounce}: how long the file must stay unchanged before a change is applied. */
    public OperatorDirectory(Path file, Routes routes, HealthState health, RelayMetrics metrics, Duration debounce) {
        this(routes, health, metrics, d -> new OperatorsFileSource(d, file, debounce));
    }

    private OperatorDirectory(
            Routes routes,
            HealthState health,
            RelayMetrics metrics,
            Function<OperatorDirectory, DirectorySource> source) {
        this.routes = requireNonNull(routes, "routes");
        this.health = requireNonNull(health, "health");
        this.metrics = requireNonNull(metrics, "metrics");
        MeterRegistry registry = metrics.registry();
        Gauge.builder("relay.route.table.size", routes, r -> r.current().size())
                .description("Host patterns in the route table in force")
                .register(registry);
        Gauge.builder("relay.route.table.version", routes, r -> r.current().version())
                .description("Version of the route table in force (increases on every change)")
                .register(registry);
        Gauge.builder("relay.directory.unroutable.operators", this, d -> d.unroutable.size())
                .description("Operators of the directory left out of the route table: this PoP's WireGuard "
                        + "tunnel cannot reach their address, or their upstream is this relay or its host")
                .register(registry);
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "relay-operators");
            t.setDaemon(true);
            return t;
        });
        // On close, a pending debounced reload is dropped rather than waited for.
        ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor = ex;
        this.source = source.apply(this);
    }

    /** A directory whose source is the log {@code config} names; {@code pop} identifies this PoP's writes. */
    public static OperatorDirectory log(
            DirectoryConfig config, String pop, Routes routes, HealthState health, RelayMetrics metrics) {
        requireNonNull(config, "config");
        requireNonNull(pop, "pop");
        return new OperatorDirectory(routes, health, metrics, d -> new KafkaDirectorySource(d, config, pop));
    }

    /** The directory {@code config} describes: its log when it has a {@code directory:} section, else its file. */
    public static OperatorDirectory of(RelayConfig config, Routes routes, HealthState health, RelayMetrics metrics) {
        DirectoryConfig directory = config.directory();
        return directory != null
                ? log(directory, config.pop(), routes, health, metrics)
                : new OperatorDirectory(config.operatorsFile(), routes, health, metrics);
    }

    /**
     * The relay the operators run on ({@link OperatorsFile#validateAgainst}): WireGuard operators'
     * addresses inside its tunnel prefixes, direct upstreams not reaching the relay or its host.
     * The operators file and admin API changes are checked against it; an operator from the log
     * that this PoP cannot route (its tunnel cannot reach it, or its upstream is this relay or its
     * host) stays in the directory but out of the route table (logged,
     * {@code relay_directory_unroutable_operators}). Without it: no tunnel, no listeners known,
     * loopback upstreams refused. Call before {@link #start}.
     */
    public OperatorDirectory relay(RelayContext context) {
        this.relay = requireNonNull(context, "context");
        return this;
    }

    /**
     * Called with the routable operators on the directory's thread each time a new set is about
     * to be put in force, <b>before</b> the route table is swapped (so that, e.g., a new WireGuard
     * peer exists before the first connection is routed to it). It must not throw for an ordinary
     * failure: it logs. Call before {@link #start}.
     */
    public OperatorDirectory beforeApply(Consumer<List<Operator>> listener) {
        beforeApply.add(requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Called with the routable operators on the directory's thread each time a new set has been
     * put in force, <b>after</b> the route table was swapped (so that, e.g., what belonged to a
     * removed operator can go: no new connection is routed to it any more). Call before
     * {@link #start}.
     */
    public OperatorDirectory afterApply(Consumer<List<Operator>> listener) {
        afterApply.add(requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * The operators file the directory reads and writes.
     *
     * @throws IllegalStateException when the directory's source is its log
     */
    public Path file() {
        return fileSource().file();
    }

    /**
     * Puts the first table in force: loads the file (failing startup if it is invalid) and starts
     * watching it, or reads the log to its end (or routes from the snapshot when the log cannot be
     * reached) and starts following it.
     *
     * @throws IllegalStateException naming the problem when the directory cannot start (an invalid
     *     file; a missing topic, or one of more than one partition)
     */
    public void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        source.start();
        started = true;
    }

    public List<Operator> list() {
        return List.copyOf(snapshot.values());
    }

    /** Number of operators in force (cheap: no copy). */
    public int size() {
        return snapshot.size();
    }

    public @Nullable Operator get(String name) {
        return snapshot.get(requireNonNull(name, "name"));
    }

    /** Whether the operator named {@code name} is in force and in the route table (this PoP routes it). */
    public boolean routes(String name) {
        return snapshot.containsKey(name) && !unroutable.containsKey(name);
    }

    /** Whether a table is in force. */
    public boolean loaded() {
        return loaded;
    }

    /** Adds or replaces an operator in the directory, then swaps the route table; waits for the outcome. */
    public Put put(Operator operator) {
        return await(putAsync(operator));
    }

    /**
     * {@link #put} without blocking the caller (e.g. an event loop). With the operators file, a
     * failure to write it completes the future exceptionally ({@link java.io.UncheckedIOException},
     * nothing changed; {@link UnappliedEditException}).
     */
    public CompletableFuture<Put> putAsync(Operator operator) {
        return source.put(requireNonNull(operator, "operator"));
    }

    /** Removes the operator named {@code name}; waits for the outcome. */
    public Delete delete(String name) {
        return await(deleteAsync(name));
    }

    /** {@link #delete} without blocking the caller; failures as for {@link #putAsync}. */
    public CompletableFuture<Delete> deleteAsync(String name) {
        return source.delete(requireNonNull(name, "name"));
    }

    /**
     * Reloads the operators file now (the watcher does this by itself; for tests and tools).
     *
     * @throws IllegalStateException when the directory's source is its log
     */
    public Reload reloadNow() {
        return fileSource().reloadNow();
    }

    @Override
    public void close() {
        source.close();
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- for the sources ----

    ScheduledExecutorService executor() {
        return executor;
    }

    HealthState health() {
        return health;
    }

    MeterRegistry registry() {
        return metrics.registry();
    }

    RelayContext relayContext() {
        return relay;
    }

    long version() {
        return version;
    }

    /** Runs {@code task} on the directory's thread. */
    <T> CompletableFuture<T> submit(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, executor);
    }

    /** The last error of the source for {@code /readyz} (null: none), with the table's state. */
    void reportError(@Nullable String error) {
        health.operators(loaded, version, error, eventSource());
    }

    /** How {@link HealthState#events()} names this directory's source. */
    private RecentEvents.Source eventSource() {
        return source instanceof OperatorsFileSource
                ? RecentEvents.Source.OPERATORS_FILE
                : RecentEvents.Source.DIRECTORY;
    }

    /**
     * Puts {@code operators} in force (on the directory's thread): listeners, then a new route
     * table. An operator this PoP cannot route ({@link #relay}) is left out of the table and the
     * listeners, and logged. An operator already in force as the same object is not checked again
     * while this host's addresses are those of the last check (the rest of the relay's context
     * does not change): a change to a large directory costs a check of what changed.
     */
    void apply(Collection<Operator> operators) {
        apply(operators, null);
    }

    /**
     * {@link #apply(Collection)} when only the operators named {@code changed} may differ from
     * those in force (added, replaced or removed): the route table is made from the table in force
     * and what changed ({@link RouteTable#with}) instead of being built again. {@code null}: any
     * operator may have changed.
     */
    void apply(Collection<Operator> operators, @Nullable Set<String> changed) {
        version++;
        Map<String, Operator> before = snapshot;
        Map<String, String> unroutableBefore = unroutable;
        RelayContext now = relay.hostAddressesReadOnce();
        Map<InetAddress, String> hostAddresses = now.hostAddresses().get();
        boolean sameHost = hostAddresses.equals(checkedHostAddresses);
        boolean incremental = changed != null && loaded && sameHost;
        Map<String, Operator> all = LinkedHashMap.newLinkedHashMap(operators.size());
        List<Operator> routable = new ArrayList<>(operators.size());
        Map<String, String> left = new LinkedHashMap<>();
        for (Operator op : operators) {
            all.put(op.name(), op);
            String why;
            if (sameHost && before.get(op.name()) == op) {
                why = unroutableBefore.get(op.name());
            } else {
                List<ConfigProblem> problems = OperatorsFile.validateAgainst(op, "operator", now);
                why = problems.isEmpty() ? null : problems.getFirst().message();
            }
            if (why == null) {
                routable.add(op);
            } else {
                left.put(op.name(), why);
            }
        }
        if (!left.isEmpty() && !left.equals(unroutableBefore)) {
            List<String> named = left.entrySet().stream()
                    .limit(10)
                    .map(e -> e.getKey() + " (" + e.getValue() + ")")
                    .toList();
            log.error(
                    "{} operator(s) not routed by this PoP (its tunnel cannot reach them, or their upstream is this "
                            + "relay or its host): {}{}",
                    left.size(),
                    named,
                    left.size() > 10 ? "..." : "");
        }
        unroutable = Collections.unmodifiableMap(left);
        checkedHostAddresses = hostAddresses;
        List<Operator> inForce = List.copyOf(routable);
        notify(beforeApply, inForce);
        if (incremental) {
            List<Operator> removed = new ArrayList<>();
            List<Operator> added = new ArrayList<>();
            for (String name : changed) {
                Operator old = before.get(name);
                if (old != null && !unroutableBefore.containsKey(name)) {
                    removed.add(old);
                }
                Operator current = all.get(name);
                if (current != null && !left.containsKey(name)) {
                    added.add(current);
                }
            }
            table = table.with(removed, added, inForce, version);
        } else {
            table = RouteTable.of(inForce, version);
        }
        routes.replace(table);
        snapshot = Collections.unmodifiableMap(all);
        loaded = true;
        health.operators(true, version, health.operatorsError(), eventSource());
        notify(afterApply, inForce);
    }

    private void notify(List<Consumer<List<Operator>>> listeners, List<Operator> operators) {
        for (Consumer<List<Operator>> listener : listeners) {
            try {
                listener.accept(operators);
            } catch (RuntimeException e) {
                log.error("applying operators version {} failed", version, e);
            }
        }
    }

    private OperatorsFileSource fileSource() {
        if (source instanceof OperatorsFileSource file) {
            return file;
        }
        throw new IllegalStateException("the directory's source is its log, not an operators file");
    }

    /** Waits for {@code future}, rethrowing its failure as it was. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
