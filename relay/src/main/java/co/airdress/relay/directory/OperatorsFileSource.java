package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.health.DirectoryStatus;
import co.airdress.relay.io.AtomicFile;
import co.airdress.relay.io.Sha256;
import io.micrometer.core.instrument.Counter;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators file as the directory's source: loads it, hot-reloads it when it changes (an
 * invalid file is rejected whole and the old table stays), and applies admin API changes by
 * rewriting it.
 *
 * <p>It tells content already in force (the directory's own writes, an editor saving identical
 * bytes) from new content by digest, so an API change is never applied twice, and writes the file
 * atomically. The watcher reacts to any change of the file's directory entry (in-place writes, an
 * editor's rename into place, delete + create, Kubernetes' symlink swaps of a mounted ConfigMap),
 * waits for the burst to settle ({@code debounce}) and then reloads once, on the directory's
 * thread. Everything but the watcher thread runs on that thread, so the state needs no lock.
 */
final class OperatorsFileSource implements DirectorySource {

    private static final Logger log = LoggerFactory.getLogger(OperatorsFileSource.class);

    /** What the file holds, compared with what is in force. */
    sealed interface Reading {
        /** The file cannot be read. */
        record Unreadable(IOException cause) implements Reading {}

        /** The bytes in force: nothing to apply. */
        record InForce() implements Reading {}

        /** The bytes last rejected as invalid: already reported. */
        record Rejected() implements Reading {}

        /** New content, to parse and apply (then {@link #accepted}) or reject ({@link #rejected}). */
        record Changed(String text, byte[] digest) implements Reading {}
    }

    private final OperatorDirectory directory;
    private final Path file;
    private final Path parent;
    private final Duration debounce;
    private final ScheduledExecutorService executor;
    private final Counter reloadOk;
    private final Counter reloadInvalid;
    private final Counter reloadIoError;

    // Executor thread only.
    private DirectoryState state = new DirectoryState();
    private byte @Nullable [] inForce;
    private byte @Nullable [] rejected;
    private @Nullable ScheduledFuture<?> pendingChange;

    private @Nullable WatchService watchService;
    private @Nullable Thread watcher;
    private volatile boolean closed;

    OperatorsFileSource(OperatorDirectory directory, Path file, Duration debounce) {
        this.directory = requireNonNull(directory, "directory");
        this.file = requireNonNull(file, "file").toAbsolutePath().normalize();
        this.parent = requireNonNull(this.file.getParent(), "file.parent");
        this.debounce = requireNonNull(debounce, "debounce");
        this.executor = directory.executor();
        MeterRegistry registry = directory.registry();
        this.reloadOk = reloadCounter(registry, "ok");
        this.reloadInvalid = reloadCounter(registry, "invalid");
        this.reloadIoError = reloadCounter(registry, "io_error");
    }

    private static Counter reloadCounter(MeterRegistry registry, String result) {
        return Counter.builder("relay.operators.reload")
                .description("Reloads of the operators file by result")
                .tag("result", result)
                .register(registry);
    }

    Path file() {
        return file;
    }

    // ---- the directory's source ----

    @Override
    public void start() {
        OperatorDirectory.Reload first = OperatorDirectory.await(directory.submit(() -> reload("start")));
        if (first != OperatorDirectory.Reload.OK && first != OperatorDirectory.Reload.UNCHANGED) {
            String error = directory.health().operatorsError();
            throw new IllegalStateException(error != null ? error : "cannot load " + file);
        }
        watch(() -> reload("file changed"), directory::reportError);
    }

    @Override
    public CompletableFuture<OperatorDirectory.Put> put(Operator operator) {
        return directory.submit(() -> doPut(operator));
    }

    @Override
    public CompletableFuture<OperatorDirectory.Delete> delete(String name) {
        return directory.submit(() -> doDelete(name));
    }

    OperatorDirectory.Reload reloadNow() {
        return OperatorDirectory.await(directory.submit(() -> reload("request")));
    }

    // ---- on the directory's thread ----

    private OperatorDirectory.Put doPut(Operator operator) {
        catchUpWithFile();
        List<ConfigProblem> problems = new ArrayList<>(OperatorsFile.validate(operator, "operator"));
        problems.addAll(OperatorsFile.validateAgainst(operator, "operator", directory.relayContext()));
        if (!problems.isEmpty()) {
            return new OperatorDirectory.Put.Invalid(problems);
        }
        ClaimConflict conflict = state.conflict(operator);
        if (conflict != null) {
            return conflict.kind() == ClaimConflict.Kind.HOST
                    ? new OperatorDirectory.Put.Conflict(conflict)
                    : new OperatorDirectory.Put.Invalid(List.of(conflict.problem(
                            conflict.kind() == ClaimConflict.Kind.PUBLIC_KEY
                                    ? "operator.wireguard.public_key"
                                    : "operator.wireguard.address")));
        }
        Operator existing = state.get(operator.name());
        if (operator.equals(existing)) {
            // An idempotent retry: nothing to write, no new table version.
            return new OperatorDirectory.Put.Updated(operator);
        }
        boolean exists = existing != null;
        Map<String, Operator> next = new LinkedHashMap<>(state.operators());
        next.put(operator.name(), operator);
        persistAndApply(next, (exists ? "updated" : "created") + " operator " + operator.name());
        state.put(operator);
        return exists ? new OperatorDirectory.Put.Updated(operator) : new OperatorDirectory.Put.Created(operator);
    }

    private OperatorDirectory.Delete doDelete(String name) {
        catchUpWithFile();
        if (state.get(name) == null) {
            return new OperatorDirectory.Delete.NotFound(name);
        }
        Map<String, Operator> next = new LinkedHashMap<>(state.operators());
        next.remove(name);
        persistAndApply(next, "deleted operator " + name);
        state.delete(name);
        return new OperatorDirectory.Delete.Deleted(name);
    }

    private void persistAndApply(Map<String, Operator> next, String what) {
        try {
            write(OperatorsFile.write(List.copyOf(next.values())));
        } catch (IOException e) {
            log.error("{} not applied: cannot write {}: {}", what, file, e.toString());
            throw new UncheckedIOException("cannot write " + file, e);
        }
        applied(next.values());
        log.info("{}: {} written, route table version {}", what, file, directory.version());
    }

    /**
     * Before an API change rewrites the file, applies an edit made to it since the last load that
     * the debounced watcher has not applied yet; otherwise the rewrite would silently undo it.
     *
     * @throws OperatorDirectory.UnappliedEditException when the file holds an edit that is invalid:
     *     the API change is refused rather than overwriting someone's work in progress
     */
    private void catchUpWithFile() {
        OperatorDirectory.Reload r = reload("before an API change");
        if (r == OperatorDirectory.Reload.INVALID) {
            throw new OperatorDirectory.UnappliedEditException(file + " has an edit that is not valid (see /readyz "
                    + "checks.operators.last_error); fix or revert it before changing operators through the API");
        }
    }

    private OperatorDirectory.Reload reload(String why) {
        boolean loaded = directory.loaded();
        switch (read()) {
            case Reading.Unreadable unreadable -> {
                String error =
                        file + ": cannot read (" + describe(unreadable.cause()) + "); the previous route table stays";
                reloadIoError.increment();
                directory.reportError(error);
                log.error("operators reload ({}) failed: {}", why, error);
                return OperatorDirectory.Reload.IO_ERROR;
            }
            case Reading.InForce inForce -> {
                // Our own write, or an editor saving identical content: nothing to apply. A previous
                // error no longer describes the file, so clear it.
                directory.reportError(null);
                return OperatorDirectory.Reload.UNCHANGED;
            }
            case Reading.Rejected r -> {
                return OperatorDirectory.Reload.INVALID;
            }
            case Reading.Changed changed -> {
                Parsed<List<Operator>> parsed = OperatorsFile.parse(changed.text(), file.toString());
                if (parsed instanceof Parsed.Ok<List<Operator>> ok) {
                    List<ConfigProblem> relayProblems =
                            OperatorsFile.validateAgainst(ok.value(), directory.relayContext());
                    if (!relayProblems.isEmpty()) {
                        parsed = new Parsed.Invalid<>(file.toString(), relayProblems);
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
                        rejected(changed);
                        reloadInvalid.increment();
                        directory.reportError(error);
                        log.error("operators reload ({}) rejected: {}", why, error);
                        yield OperatorDirectory.Reload.INVALID;
                    }
                    case Parsed.Ok<List<Operator>> ok -> {
                        accepted(changed);
                        applied(ok.value());
                        state = DirectoryState.of(ok.value());
                        reloadOk.increment();
                        log.info(
                                "operators reload ({}): {} operators from {}, route table version {}",
                                why,
                                ok.value().size(),
                                file,
                                directory.version());
                        yield OperatorDirectory.Reload.OK;
                    }
                };
            }
        }
    }

    private void applied(Collection<Operator> operators) {
        directory.apply(operators);
        directory.reportError(null);
        directory
                .health()
                .directory(new DirectoryStatus(
                        DirectoryStatus.State.UP, DirectoryStatus.Source.FILE, null, null, Instant.now()));
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m != null ? ": " + m : "");
    }

    // ---- the file ----

    Reading read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return new Reading.Unreadable(e);
        }
        byte[] digest = Sha256.of(bytes);
        if (Arrays.equals(digest, inForce)) {
            return new Reading.InForce();
        }
        if (Arrays.equals(digest, rejected)) {
            return new Reading.Rejected();
        }
        return new Reading.Changed(new String(bytes, StandardCharsets.UTF_8), digest);
    }

    /** The content read is now in force. */
    void accepted(Reading.Changed content) {
        inForce = content.digest();
        rejected = null;
    }

    /** The content read was rejected; the same bytes read again are not reported again. */
    void rejected(Reading.Changed content) {
        rejected = content.digest();
    }

    /** Replaces the file with {@code text}, which is then in force: the watcher's reload of it is a no-op. */
    void write(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, bytes);
        inForce = Sha256.of(bytes);
        rejected = null;
    }

    /**
     * Starts watching: {@code onChange} runs on the executor once a burst of changes has settled;
     * {@code onLost} is told when the directory can no longer be watched (hot reload stops).
     */
    void watch(Runnable onChange, Consumer<String> onLost) {
        requireNonNull(onChange, "onChange");
        requireNonNull(onLost, "onLost");
        if (watchService != null) {
            throw new IllegalStateException("already watching");
        }
        try {
            WatchService ws = FileSystems.getDefault().newWatchService();
            parent.register(
                    ws,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            watchService = ws;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + parent, e);
        }
        Thread t = new Thread(() -> watchLoop(onChange, onLost), "relay-operators-watch");
        t.setDaemon(true);
        t.start();
        watcher = t;
    }

    @Override
    public void close() {
        closed = true;
        WatchService ws = watchService;
        if (ws != null) {
            try {
                ws.close();
            } catch (IOException e) {
                log.debug("closing the watch service of {}", parent, e);
            }
        }
        Thread t = watcher;
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the watcher thread: only posts (debounced) changes to the executor ----

    private void watchLoop(Runnable onChange, Consumer<String> onLost) {
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
                changed(onChange);
            }
            if (!key.reset()) {
                log.error("{} is no longer watchable (deleted?); hot reload of {} stopped", parent, file);
                onLost.accept(parent + " is no longer watched: hot reload stopped");
                return;
            }
        }
    }

    /** (Re)starts the debounce: {@code onChange} runs once no change has come for {@code debounce}. */
    private void changed(Runnable onChange) {
        try {
            executor.execute(() -> {
                ScheduledFuture<?> pending = pendingChange;
                if (pending != null) {
                    pending.cancel(false);
                }
                pendingChange = executor.schedule(
                        () -> {
                            pendingChange = null;
                            onChange.run();
                        },
                        debounce.toNanos(),
                        TimeUnit.NANOSECONDS);
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }
}
