package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators in force, with the operators file as their source of truth: loads it, hot-reloads
 * it when it changes (an invalid file is rejected whole and the old table stays), applies admin
 * API changes by rewriting it, and puts each new set in force: listeners first (the WireGuard
 * peers), then the route table in {@link Routes}.
 *
 * <p>Every mutation (reload, put, delete) runs on one private thread, so they are serialised
 * without a lock and never run on an event loop; reads ({@link #list}, {@link #get}) use an
 * immutable snapshot and never block. Swapping the route table only changes what new connections
 * look up: established connections hold their operator and are never touched.
 *
 * <p>A change of the file is applied {@link #DEFAULT_DEBOUNCE} after the last write of a burst
 * ({@link OperatorsFileSource}); a reload whose bytes are those in force (typically the
 * directory's own write) is skipped, so an API change is never applied twice.
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
         * wildcard, or a wildcard over its host ({@link co.airdress.relay.config.OperatorClaims}).
         */
        record Conflict(ClaimConflict conflict) implements Put {}

        record Invalid(List<ConfigProblem> problems) implements Put {}
    }

    /** The outcome of a reload of the file. */
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

    private final OperatorsFileSource source;
    private final Routes routes;
    private final HealthState health;
    private final ScheduledThreadPoolExecutor executor;
    private final Counter reloadOk;
    private final Counter reloadInvalid;
    private final Counter reloadIoError;
    private final List<Consumer<List<Operator>>> beforeApply = new CopyOnWriteArrayList<>();
    private final List<Consumer<List<Operator>>> afterApply = new CopyOnWriteArrayList<>();

    // Written only on the executor thread; the snapshot is immutable and published via volatile.
    private volatile Map<String, Operator> snapshot = Map.of();
    private DirectoryState state = new DirectoryState();
    private long version;
    private volatile boolean loaded;
    private boolean started;
    private @Nullable WireGuardConfig tunnel;

    public OperatorDirectory(Path file, Routes routes, HealthState health, RelayMetrics metrics) {
        this(file, routes, health, metrics, DEFAULT_DEBOUNCE);
    }

    /** {@code debounce}: how long the file must stay unchanged before a change is applied. */
    public OperatorDirectory(Path file, Routes routes, HealthState health, RelayMetrics metrics, Duration debounce) {
        this.routes = requireNonNull(routes, "routes");
        this.health = requireNonNull(health, "health");
        MeterRegistry registry = requireNonNull(metrics, "metrics").registry();
        this.reloadOk = reloadCounter(registry, "ok");
        this.reloadInvalid = reloadCounter(registry, "invalid");
        this.reloadIoError = reloadCounter(registry, "io_error");
        Gauge.builder("relay.route.table.size", routes, r -> r.current().size())
                .description("Host patterns in the route table in force")
                .register(registry);
        Gauge.builder("relay.route.table.version", routes, r -> r.current().version())
                .description("Version of the route table in force (increases on every change)")
                .register(registry);
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "relay-operators");
            t.setDaemon(true);
            return t;
        });
        // On close, a pending debounced reload is dropped rather than waited for.
        ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor = ex;
        this.source = new OperatorsFileSource(file, debounce, executor);
    }

    private static Counter reloadCounter(MeterRegistry registry, String result) {
        return Counter.builder("relay.operators.reload")
                .description("Reloads of the operators file by result")
                .tag("result", result)
                .register(registry);
    }

    /**
     * The relay's WireGuard interface (null: none): every load, reload and API change checks that
     * WireGuard operators' addresses lie inside its prefixes. Call before {@link #start}.
     */
    public OperatorDirectory tunnel(@Nullable WireGuardConfig config) {
        this.tunnel = config;
        return this;
    }

    /**
     * Called with the full operator list on the directory's thread each time a new set is about to
     * be put in force, <b>before</b> the route table is swapped (so that, e.g., a new WireGuard peer
     * exists before the first connection is routed to it). It must not throw for an ordinary
     * failure: it logs. Call before {@link #start}.
     */
    public OperatorDirectory beforeApply(Consumer<List<Operator>> listener) {
        beforeApply.add(requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Called with the full operator list on the directory's thread each time a new set has been put
     * in force, <b>after</b> the route table was swapped (so that, e.g., what belonged to a removed
     * operator can go: no new connection is routed to it any more). Call before {@link #start}.
     */
    public OperatorDirectory afterApply(Consumer<List<Operator>> listener) {
        afterApply.add(requireNonNull(listener, "listener"));
        return this;
    }

    /** The file the directory reads and writes. */
    public Path file() {
        return source.file();
    }

    /**
     * Loads the file (failing startup if it is invalid) and starts watching it.
     *
     * @throws IllegalStateException naming the file and every problem when it cannot be loaded
     */
    public void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        Reload first = await(() -> reload("start"));
        if (first != Reload.OK && first != Reload.UNCHANGED) {
            String error = health.operatorsError();
            throw new IllegalStateException(error != null ? error : "cannot load " + source.file());
        }
        source.watch(() -> reload("file changed"), lost -> health.operators(loaded, version, lost));
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

    /** Whether a table from the file is in force. */
    public boolean loaded() {
        return loaded;
    }

    /**
     * Adds or replaces an operator, persists the file, then swaps the route table.
     *
     * @throws UncheckedIOException when the file cannot be written (nothing changed)
     */
    public Put put(Operator operator) {
        return await(() -> doPut(requireNonNull(operator, "operator")));
    }

    /** {@link #put} without blocking the caller (e.g. an event loop). */
    public CompletableFuture<Put> putAsync(Operator operator) {
        requireNonNull(operator, "operator");
        return submit(() -> doPut(operator));
    }

    /**
     * Returns false when no operator has that name.
     *
     * @throws UncheckedIOException when the file cannot be written (nothing changed)
     */
    public boolean delete(String name) {
        return await(() -> doDelete(requireNonNull(name, "name")));
    }

    /** {@link #delete} without blocking the caller. */
    public CompletableFuture<Boolean> deleteAsync(String name) {
        requireNonNull(name, "name");
        return submit(() -> doDelete(name));
    }

    /** Reloads the file now (the watcher does this by itself; for tests and tools). */
    public Reload reloadNow() {
        return await(() -> reload("request"));
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

    // ---- on the executor thread ----

    private Put doPut(Operator operator) {
        catchUpWithFile();
        List<ConfigProblem> problems = new ArrayList<>(OperatorsFile.validate(operator, "operator"));
        problems.addAll(OperatorsFile.validateTunnel(operator, "operator", tunnel));
        if (!problems.isEmpty()) {
            return new Put.Invalid(problems);
        }
        ClaimConflict conflict = state.conflict(operator);
        if (conflict != null) {
            return conflict.kind() == ClaimConflict.Kind.HOST
                    ? new Put.Conflict(conflict)
                    : new Put.Invalid(List.of(conflict.problem(
                            conflict.kind() == ClaimConflict.Kind.PUBLIC_KEY
                                    ? "operator.wireguard.public_key"
                                    : "operator.wireguard.address")));
        }
        Operator existing = state.get(operator.name());
        if (operator.equals(existing)) {
            // An idempotent retry: nothing to write, no new table version.
            return new Put.Updated(operator);
        }
        boolean exists = existing != null;
        Map<String, Operator> next = new LinkedHashMap<>(state.operators());
        next.put(operator.name(), operator);
        persistAndApply(next, (exists ? "updated" : "created") + " operator " + operator.name());
        state.put(operator);
        return exists ? new Put.Updated(operator) : new Put.Created(operator);
    }

    private boolean doDelete(String name) {
        catchUpWithFile();
        if (state.get(name) == null) {
            return false;
        }
        Map<String, Operator> next = new LinkedHashMap<>(state.operators());
        next.remove(name);
        persistAndApply(next, "deleted operator " + name);
        state.delete(name);
        return true;
    }

    private void persistAndApply(Map<String, Operator> next, String what) {
        try {
            source.write(OperatorsFile.write(List.copyOf(next.values())));
        } catch (IOException e) {
            log.error("{} not applied: cannot write {}: {}", what, source.file(), e.toString());
            throw new UncheckedIOException("cannot write " + source.file(), e);
        }
        apply(next);
        log.info("{}: {} written, route table version {}", what, source.file(), version);
    }

    /**
     * Before an API change rewrites the file, applies an edit made to it since the last load that
     * the debounced watcher has not applied yet; otherwise the rewrite would silently undo it.
     *
     * @throws UnappliedEditException when the file holds an edit that is invalid: the API change is
     *     refused rather than overwriting someone's work in progress
     */
    private void catchUpWithFile() {
        Reload r = reload("before an API change");
        if (r == Reload.INVALID) {
            throw new UnappliedEditException(source.file() + " has an edit that is not valid (see /readyz "
                    + "checks.operators.last_error); fix or revert it before changing operators through the API");
        }
    }

    private Reload reload(String why) {
        Path file = source.file();
        switch (source.read()) {
            case OperatorsFileSource.Reading.Unreadable unreadable -> {
                String error =
                        file + ": cannot read (" + describe(unreadable.cause()) + "); the previous route table stays";
                reloadIoError.increment();
                health.operators(loaded, version, error);
                log.error("operators reload ({}) failed: {}", why, error);
                return Reload.IO_ERROR;
            }
            case OperatorsFileSource.Reading.InForce inForce -> {
                // Our own write, or an editor saving identical content: nothing to apply. A previous
                // error no longer describes the file, so clear it.
                health.operators(true, version, null);
                return Reload.UNCHANGED;
            }
            case OperatorsFileSource.Reading.Rejected rejected -> {
                return Reload.INVALID;
            }
            case OperatorsFileSource.Reading.Changed changed -> {
                Parsed<List<Operator>> parsed = OperatorsFile.parse(changed.text(), file.toString());
                if (parsed instanceof Parsed.Ok<List<Operator>> ok) {
                    List<ConfigProblem> tunnelProblems = OperatorsFile.validateTunnel(ok.value(), tunnel);
                    if (!tunnelProblems.isEmpty()) {
                        parsed = new Parsed.Invalid<>(file.toString(), tunnelProblems);
                    }
                }
                return switch (parsed) {
                    case Parsed.Invalid<List<Operator>> invalid -> {
                        String error = file + ": " + invalid.problems().size()
                                + " problem(s), the file was rejected whole"
                                + (loaded ? " and the previous route table stays" : "") + ": "
                                + invalid.problems().stream()
                                        .map(ConfigProblem::toString)
                                        .collect(Collectors.joining("; "));
                        source.rejected(changed);
                        reloadInvalid.increment();
                        health.operators(loaded, version, error);
                        log.error("operators reload ({}) rejected: {}", why, error);
                        yield Reload.INVALID;
                    }
                    case Parsed.Ok<List<Operator>> ok -> {
                        Map<String, Operator> next = new LinkedHashMap<>();
                        for (Operator op : ok.value()) {
                            next.put(op.name(), op);
                        }
                        source.accepted(changed);
                        apply(next);
                        state = DirectoryState.of(ok.value());
                        reloadOk.increment();
                        log.info(
                                "operators reload ({}): {} operators from {}, route table version {}",
                                why,
                                next.size(),
                                file,
                                version);
                        yield Reload.OK;
                    }
                };
            }
        }
    }

    private void apply(Map<String, Operator> next) {
        version++;
        Map<String, Operator> frozen = Collections.unmodifiableMap(new LinkedHashMap<>(next));
        List<Operator> operators = List.copyOf(frozen.values());
        notify(beforeApply, operators);
        routes.replace(RouteTable.of(operators, version));
        snapshot = frozen;
        loaded = true;
        health.operators(true, version, null);
        notify(afterApply, operators);
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

    // ---- helpers ----

    private <T> CompletableFuture<T> submit(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, executor);
    }

    private <T> T await(Supplier<T> task) {
        try {
            return submit(task).get();
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

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m != null ? ": " + m : "");
    }
}
