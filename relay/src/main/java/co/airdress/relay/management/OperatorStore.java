package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.io.AtomicFile;
import co.airdress.relay.io.Sha256;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators file as the source of truth: loads it, watches it and hot-reloads it (an invalid
 * file is rejected whole and the old table stays), applies admin API changes and persists them
 * atomically ({@link AtomicFile}), and swaps the route table in {@link Routes}.
 *
 * <p>Every mutation (reload, put, delete) runs on one private thread, so they are serialised
 * without a lock and never run on an event loop; reads ({@link #list}, {@link #get}) use an
 * immutable snapshot and never block. Swapping the route table only changes what new connections
 * look up: established connections hold their operator and are never touched.
 *
 * <p>The watcher reacts to any change of the file's directory entry (in-place writes, an editor's
 * rename into place, delete + create), waits {@link #DEFAULT_DEBOUNCE} for the burst to settle and
 * reloads once. A reload whose bytes equal what is already in force (typically the store's own
 * write) is skipped, so an API change is never applied twice.
 */
public final class OperatorStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OperatorStore.class);

    static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);

    /** The outcome of a put. */
    public sealed interface Put {
        record Created(Operator operator) implements Put {}

        record Updated(Operator operator) implements Put {}

        /** A host already belongs to another operator (409). */
        record Conflict(String host, String owner) implements Put {}

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

    private final Path file;
    private final Path directory;
    private final Routes routes;
    private final HealthState health;
    private final Duration debounce;
    private final ScheduledExecutorService executor;
    private final Counter reloadOk;
    private final Counter reloadInvalid;
    private final Counter reloadIoError;

    // Written only on the executor thread; the snapshot is immutable and published via volatile.
    private volatile Map<String, Operator> snapshot = Map.of();
    private byte @Nullable [] appliedDigest;
    // The last content rejected as invalid: the same bytes seen again are not re-reported.
    private byte @Nullable [] rejectedDigest;
    private long version;
    private volatile boolean loaded;
    private @Nullable ScheduledFuture<?> pendingReload;
    private @Nullable WatchService watchService;
    private @Nullable Thread watcher;
    private volatile boolean closed;
    private @Nullable WireGuardConfig tunnel;
    private Consumer<List<Operator>> beforeApply = operators -> {};

    public OperatorStore(Path file, Routes routes, HealthState health, RelayMetrics metrics) {
        this(file, routes, health, metrics, DEFAULT_DEBOUNCE);
    }

    OperatorStore(Path file, Routes routes, HealthState health, RelayMetrics metrics, Duration debounce) {
        this.file = requireNonNull(file, "file").toAbsolutePath().normalize();
        this.directory = requireNonNull(this.file.getParent(), "file.parent");
        this.routes = requireNonNull(routes, "routes");
        this.health = requireNonNull(health, "health");
        this.debounce = requireNonNull(debounce, "debounce");
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
    public OperatorStore tunnel(@Nullable WireGuardConfig config) {
        this.tunnel = config;
        return this;
    }

    /**
     * Called with the full operator list on the store's thread each time a new set is about to be
     * put in force, <b>before</b> the route table is swapped (so that, e.g., a new WireGuard peer
     * exists before the first connection is routed to it). It must not throw for an ordinary
     * failure: it logs. Call before {@link #start}.
     */
    public OperatorStore beforeApply(Consumer<List<Operator>> listener) {
        this.beforeApply = requireNonNull(listener, "listener");
        return this;
    }

    /** The file this store reads and writes. */
    public Path file() {
        return file;
    }

    /**
     * Loads the file (failing startup if it is invalid) and starts watching it.
     *
     * @throws IllegalStateException naming the file and every problem when it cannot be loaded
     */
    public void start() {
        if (watchService != null) {
            throw new IllegalStateException("already started");
        }
        Reload first = await(() -> reload("start"));
        if (first != Reload.OK && first != Reload.UNCHANGED) {
            String error = health.operatorsError();
            throw new IllegalStateException(error != null ? error : "cannot load " + file);
        }
        try {
            WatchService ws = FileSystems.getDefault().newWatchService();
            directory.register(
                    ws,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            watchService = ws;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + directory, e);
        }
        Thread t = new Thread(this::watch, "relay-operators-watch");
        t.setDaemon(true);
        t.start();
        watcher = t;
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
        closed = true;
        WatchService ws = watchService;
        if (ws != null) {
            try {
                ws.close();
            } catch (IOException e) {
                log.debug("closing the watch service of {}", directory, e);
            }
        }
        executor.shutdown();
        try {
            Thread t = watcher;
            if (t != null) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- on the executor thread ----

    private Put doPut(Operator operator) {
        catchUpWithFile();
        List<ConfigProblem> problems = new java.util.ArrayList<>(OperatorsFile.validate(operator, "operator"));
        problems.addAll(OperatorsFile.validateTunnel(operator, "operator", tunnel));
        if (!problems.isEmpty()) {
            return new Put.Invalid(problems);
        }
        for (String host : operator.hosts()) {
            for (Operator other : snapshot.values()) {
                if (!other.name().equals(operator.name()) && other.hosts().contains(host)) {
                    return new Put.Conflict(host, other.name());
                }
            }
        }
        Operator existing = snapshot.get(operator.name());
        if (operator.equals(existing)) {
            // An idempotent retry: nothing to write, no new table version.
            return new Put.Updated(operator);
        }
        boolean exists = existing != null;
        Map<String, Operator> next = new LinkedHashMap<>(snapshot);
        next.put(operator.name(), operator);
        List<ConfigProblem> setProblems = OperatorsFile.validate(List.copyOf(next.values()));
        if (!setProblems.isEmpty()) {
            return new Put.Invalid(setProblems);
        }
        persistAndApply(next, (exists ? "updated" : "created") + " operator " + operator.name());
        return exists ? new Put.Updated(operator) : new Put.Created(operator);
    }

    private boolean doDelete(String name) {
        catchUpWithFile();
        if (!snapshot.containsKey(name)) {
            return false;
        }
        Map<String, Operator> next = new LinkedHashMap<>(snapshot);
        next.remove(name);
        persistAndApply(next, "deleted operator " + name);
        return true;
    }

    private void persistAndApply(Map<String, Operator> next, String what) {
        byte[] bytes = OperatorsFile.write(List.copyOf(next.values())).getBytes(StandardCharsets.UTF_8);
        try {
            AtomicFile.write(file, bytes);
        } catch (IOException e) {
            log.error("{} not applied: cannot write {}: {}", what, file, e.toString());
            throw new UncheckedIOException("cannot write " + file, e);
        }
        appliedDigest = Sha256.of(bytes);
        rejectedDigest = null;
        apply(next);
        log.info("{}: {} written, route table version {}", what, file, version);
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
            throw new UnappliedEditException(file + " has an edit that is not valid (see /readyz "
                    + "checks.operators.last_error); fix or revert it before changing operators through the API");
        }
    }

    /** The operators file has an invalid edit that an API change would overwrite. */
    public static final class UnappliedEditException extends IllegalStateException {
        UnappliedEditException(String message) {
            super(message);
        }
    }

    private Reload reload(String why) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            String error = file + ": cannot read (" + describe(e) + "); the previous route table stays";
            reloadIoError.increment();
            health.operators(loaded, version, error);
            log.error("operators reload ({}) failed: {}", why, error);
            return Reload.IO_ERROR;
        }
        byte[] d = Sha256.of(bytes);
        if (loaded && Arrays.equals(d, appliedDigest)) {
            // Our own write, or an editor saving identical content: nothing to apply. A previous
            // error no longer describes the file, so clear it.
            health.operators(true, version, null);
            return Reload.UNCHANGED;
        }
        if (Arrays.equals(d, rejectedDigest)) {
            return Reload.INVALID;
        }
        Parsed<List<Operator>> parsed = OperatorsFile.parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
        if (parsed instanceof Parsed.Ok<List<Operator>> ok) {
            List<ConfigProblem> tunnelProblems = OperatorsFile.validateTunnel(ok.value(), tunnel);
            if (!tunnelProblems.isEmpty()) {
                parsed = new Parsed.Invalid<>(file.toString(), tunnelProblems);
            }
        }
        switch (parsed) {
            case Parsed.Invalid<List<Operator>> invalid -> {
                String error = file + ": " + invalid.problems().size() + " problem(s), the file was rejected whole"
                        + (loaded ? " and the previous route table stays" : "") + ": "
                        + invalid.problems().stream()
                                .map(ConfigProblem::toString)
                                .collect(Collectors.joining("; "));
                rejectedDigest = d;
                reloadInvalid.increment();
                health.operators(loaded, version, error);
                log.error("operators reload ({}) rejected: {}", why, error);
                return Reload.INVALID;
            }
            case Parsed.Ok<List<Operator>> ok -> {
                Map<String, Operator> next = new LinkedHashMap<>();
                for (Operator op : ok.value()) {
                    next.put(op.name(), op);
                }
                appliedDigest = d;
                rejectedDigest = null;
                apply(next);
                reloadOk.increment();
                log.info(
                        "operators reload ({}): {} operators from {}, route table version {}",
                        why,
                        next.size(),
                        file,
                        version);
                return Reload.OK;
            }
        }
    }

    private void apply(Map<String, Operator> next) {
        version++;
        Map<String, Operator> frozen = Collections.unmodifiableMap(new LinkedHashMap<>(next));
        try {
            beforeApply.accept(List.copyOf(frozen.values()));
        } catch (RuntimeException e) {
            log.error("applying operators version {} to the tunnel failed", version, e);
        }
        routes.replace(RouteTable.of(List.copyOf(frozen.values()), version));
        snapshot = frozen;
        loaded = true;
        health.operators(true, version, null);
    }

    // ---- the watcher thread: only posts (debounced) reloads to the executor ----

    private void watch() {
        WatchService ws = requireNonNull(watchService, "watchService");
        Path name = file.getFileName();
        while (!closed) {
            WatchKey key;
            try {
                key = ws.take();
            } catch (ClosedWatchServiceException | InterruptedException e) {
                return;
            }
            boolean relevant = false;
            for (WatchEvent<?> event : key.pollEvents()) {
                // OVERFLOW means events were lost: reload to be safe. "..data" and the like are
                // Kubernetes' symlink swaps of a mounted ConfigMap, which change the file's target.
                if (event.kind() == StandardWatchEventKinds.OVERFLOW
                        || name.equals(event.context())
                        || event.context() instanceof Path p && p.toString().startsWith("..")) {
                    relevant = true;
                }
            }
            if (relevant) {
                scheduleReload();
            }
            if (!key.reset()) {
                log.error("{} is no longer watchable (deleted?); hot reload of {} stopped", directory, file);
                health.operators(loaded, version, directory + " is no longer watched: hot reload stopped");
                return;
            }
        }
    }

    private void scheduleReload() {
        try {
            executor.execute(() -> {
                ScheduledFuture<?> p = pendingReload;
                if (p != null) {
                    p.cancel(false);
                }
                pendingReload = executor.schedule(
                        () -> {
                            pendingReload = null;
                            reload("file changed");
                        },
                        debounce.toNanos(),
                        TimeUnit.NANOSECONDS);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
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
