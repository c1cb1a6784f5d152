package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.io.AtomicFile;
import co.airdress.relay.io.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators file as the directory's source: reads it, tells content already in force (the
 * directory's own writes, an editor saving identical bytes) from new content by digest, writes it
 * atomically for admin API changes, and watches it.
 *
 * <p>The watcher reacts to any change of the file's directory entry (in-place writes, an editor's
 * rename into place, delete + create, Kubernetes' symlink swaps of a mounted ConfigMap), waits for
 * the burst to settle ({@code debounce}) and then runs the change handler once, on the directory's
 * executor. Everything but the watcher thread runs on that executor, so the digests need no lock.
 */
final class OperatorsFileSource implements AutoCloseable {

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

    private final Path file;
    private final Path directory;
    private final Duration debounce;
    private final ScheduledExecutorService executor;

    // Executor thread only.
    private byte @Nullable [] inForce;
    private byte @Nullable [] rejected;
    private @Nullable ScheduledFuture<?> pendingChange;

    private @Nullable WatchService watchService;
    private @Nullable Thread watcher;
    private volatile boolean closed;

    OperatorsFileSource(Path file, Duration debounce, ScheduledExecutorService executor) {
        this.file = requireNonNull(file, "file").toAbsolutePath().normalize();
        this.directory = requireNonNull(this.file.getParent(), "file.parent");
        this.debounce = requireNonNull(debounce, "debounce");
        this.executor = requireNonNull(executor, "executor");
    }

    Path file() {
        return file;
    }

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
            directory.register(
                    ws,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            watchService = ws;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + directory, e);
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
                log.debug("closing the watch service of {}", directory, e);
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
                log.error("{} is no longer watchable (deleted?); hot reload of {} stopped", directory, file);
                onLost.accept(directory + " is no longer watched: hot reload stopped");
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
