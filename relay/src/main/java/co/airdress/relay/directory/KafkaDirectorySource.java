package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.DurationText;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.health.DirectoryStatus;
import co.airdress.relay.health.RecentEvents;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory's log as the directory's source (docs/directory.md): every PoP reads the whole
 * compacted, single-partition topic from the beginning, applies its records in offset order
 * ({@link DirectoryState#apply}) and swaps its route table once per batch; admin API changes are
 * written to the log and answered once this PoP has applied (or rejected) its own record.
 *
 * <p><b>Start.</b> The log is read to the end offset seen at start, then the table is put in
 * force: UP. When the log cannot be reached within {@code start_timeout}, the snapshot file is
 * loaded and routed from (STALE: announced, maybe old) and the log is retried; once it answers, it
 * is replayed into a fresh state, swapped in once caught up. No snapshot and no log: DOWN, no
 * table, not ready. A missing topic, or one of more than one partition, fails the start.
 *
 * <p><b>Running.</b> One thread polls; each batch is applied on the directory's thread. The end
 * offset is probed every {@code probe_interval}: a probe that fails makes the PoP STALE (it keeps
 * routing with its table); when the log answers again it is replayed from the beginning into a
 * fresh state (a PoP that was away may have missed records that compaction has since removed,
 * tombstones included) and the table swapped once caught up: UP.
 *
 * <p><b>Writes.</b> A change is checked against the table in force first (400 and 409 at once),
 * then written with a request id; the record carrying that id decides the answer. When the log
 * rejects it (another PoP's conflicting write came first), this PoP writes a compensating record
 * for the key, its value in force or a tombstone, so that the rejected record is never the last of
 * its key: compaction keeps only the last, and a PoP replaying the compacted log later must not
 * judge the rejected one again without the records that made it a conflict.
 */
final class KafkaDirectorySource implements DirectorySource {

    private static final Logger log = LoggerFactory.getLogger(KafkaDirectorySource.class);

    /** The longest a poll waits when no record comes, so that probes and close are timely. */
    private static final Duration MAX_POLL_WAIT = Duration.ofMillis(500);

    private final OperatorDirectory directory;
    private final DirectoryConfig config;
    private final DirectoryConfig.Kafka kafka;
    private final String pop;
    private final DirectoryLog directoryLog;
    private final DirectoryWriter writer;
    private final DirectoryMetrics metrics;
    private final ExecutorService snapshots;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final String requestPrefix;
    private final AtomicLong requests = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final Duration pollWait;

    // The directory's thread only.
    private DirectoryState inForce = new DirectoryState();
    private @Nullable DirectoryState replaying;
    private final Map<String, Pending> pending = new HashMap<>();
    private final List<Runnable> decided = new ArrayList<>();
    private boolean fromLog;
    private boolean snapshotScheduled;
    private long lastSnapshotNanos;
    // How long the last snapshot took to write (the snapshot thread writes it, the directory's reads it).
    private volatile long snapshotWriteNanos;

    // The loop thread only (the start thread before it runs).
    private boolean needReplay;
    private boolean lost;
    private @Nullable String lostWhy;
    private long nextProbeNanos;

    // Read by /readyz and the gauges.
    private volatile DirectoryStatus.State state = DirectoryStatus.State.DOWN;
    private volatile long offset = -1;
    private volatile long lag = -1;
    private volatile @Nullable Instant lastAppliedAt;
    private volatile long lastAppliedNanos;
    private volatile boolean closed;
    // What the table in force came from, for messages: the log, or the snapshot file.
    private volatile String tableSource = "the table in force";
    private @Nullable Thread loop;

    /** An admin API write waiting for its record. */
    private record Pending(CompletableFuture<Written> written) {}

    /** What became of a write: its record's outcome here, or no answer from the log in time. */
    private sealed interface Written {
        record Decided(DirectoryState.Outcome outcome) implements Written {}

        record Unavailable(String message) implements Written {}
    }

    KafkaDirectorySource(OperatorDirectory directory, DirectoryConfig config, String pop) {
        this.directory = requireNonNull(directory, "directory");
        this.config = requireNonNull(config, "config");
        this.kafka = config.kafka();
        this.pop = requireNonNull(pop, "pop");
        this.requestPrefix = pop + "-" + Long.toHexString(new Random().nextLong() & 0xffffffffL) + "-";
        this.pollWait = kafka.probeInterval().compareTo(MAX_POLL_WAIT) < 0 ? kafka.probeInterval() : MAX_POLL_WAIT;
        this.directoryLog = new DirectoryLog(kafka, "airdress-relay-" + pop + "-reader");
        this.writer = new DirectoryWriter(kafka, "airdress-relay-" + pop + "-writer");
        this.metrics = new DirectoryMetrics(directory.registry(), this);
        this.snapshots = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "relay-directory-snapshot");
            t.setDaemon(true);
            return t;
        });
        publish();
    }

    // ---- start ----

    @Override
    public void start() {
        switch (directoryLog.describe(kafka.startTimeout())) {
            case DirectoryLog.Topic.Missing m -> throw new IllegalStateException(m.message());
            case DirectoryLog.Topic.TooManyPartitions p -> throw new IllegalStateException(p.message());
            case DirectoryLog.Topic.Unreachable u -> {
                fromSnapshot(u.message());
                needReplay = true;
            }
            case DirectoryLog.Topic.Ready r -> {
                try {
                    replay();
                } catch (KafkaException e) {
                    fromSnapshot(describe(e));
                    needReplay = true;
                }
            }
        }
        nextProbeNanos = System.nanoTime() + kafka.probeInterval().toNanos();
        Thread t = new Thread(this::run, "relay-directory-log");
        t.setDaemon(true);
        loop = t;
        t.start();
    }

    /** Routes from the snapshot (STALE), or from nothing (DOWN), because the log cannot be read. */
    private void fromSnapshot(String why) {
        String unreachable = "directory log " + kafka.bootstrapServers() + " unreachable at start (" + why + ")";
        DirectorySnapshot.Loaded loaded = DirectorySnapshot.read(config.snapshotFile(), kafka.topic());
        if (loaded instanceof DirectorySnapshot.Loaded.Corrupt corrupt) {
            metrics.snapshotLoaded(false);
            log.error(
                    "directory snapshot {} is corrupt, ignored as if missing: {}",
                    config.snapshotFile(),
                    corrupt.reason());
        }
        if (loaded instanceof DirectorySnapshot.Loaded.Ok ok) {
            metrics.snapshotLoaded(true);
            OperatorDirectory.await(directory.submit(() -> {
                inForce = DirectoryState.of(ok.operators());
                fromLog = false;
                directory.apply(ok.operators());
                return null;
            }));
            offset = ok.offset();
            tableSource = "the snapshot " + config.snapshotFile() + " (offset " + ok.offset() + ", written "
                    + ok.writtenAt() + ", " + ok.operators().size() + " operators)";
            String error = unreachable + "; routing from " + tableSource + " while retrying";
            state(DirectoryStatus.State.STALE, error);
            log.warn("{}", error);
        } else {
            String error = unreachable + " and no usable snapshot " + config.snapshotFile()
                    + ": no route table, not ready while retrying";
            state(DirectoryStatus.State.DOWN, error);
            log.error("{}", error);
        }
        lost = true;
        lostWhy = why;
    }

    private String noAnswer() {
        return "no answer from " + kafka.bootstrapServers() + " within "
                + kafka.requestTimeout().toMillis() + " ms";
    }

    /**
     * Reads the log from the beginning into a fresh state, to the end offset seen now, and puts it
     * in force in one swap; meanwhile the table in force stays.
     *
     * @throws KafkaException when the log stops answering (a {@link TimeoutException} when it stalls)
     */
    private void replay() {
        long started = System.nanoTime();
        OperatorDirectory.await(directory.submit(() -> {
            replaying = new DirectoryState();
            return null;
        }));
        try {
            directoryLog.seekToBeginning();
            long end = directoryLog.endOffset(kafka.requestTimeout());
            long position = directoryLog.position(kafka.requestTimeout());
            long progress = System.nanoTime();
            // Two stages: this thread fetches and decodes a batch while the directory's thread
            // applies the one before (decoding depends on the bytes alone; applying, in offset
            // order, on what came before). One batch in flight at a time.
            CompletableFuture<Void> applying = CompletableFuture.completedFuture(null);
            while (position < end && !closed) {
                List<DirectoryRecord> records = directoryLog.poll(pollWait);
                if (!records.isEmpty()) {
                    List<DirectoryRecord.Decoded> decoded = decode(records);
                    OperatorDirectory.await(applying);
                    applying = directory.submit(() -> applyBatch(records, decoded));
                    progress = System.nanoTime();
                } else if (System.nanoTime() - progress > kafka.requestTimeout().toNanos()) {
                    throw new TimeoutException("reading the log stalled at offset " + position + " of " + end);
                }
                position = directoryLog.position(kafka.requestTimeout());
                lag = Math.max(0, end - position);
            }
            OperatorDirectory.await(applying);
            long records = end;
            OperatorDirectory.await(directory.submit(() -> {
                finishReplay();
                return null;
            }));
            lost = false;
            state(DirectoryStatus.State.UP, null);
            log.info(
                    "directory log {} read to offset {} in {} ms: {} operators in force, route table version {}",
                    kafka.topic(),
                    records,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                    directory.size(),
                    directory.version());
        } catch (RuntimeException e) {
            try {
                directory.submit(() -> {
                    replaying = null;
                    return null;
                });
            } catch (RejectedExecutionException closing) {
                // the directory is closing
            }
            throw e;
        }
    }

    // ---- the loop thread ----

    private void run() {
        while (!closed) {
            try {
                if (needReplay) {
                    retry();
                    continue;
                }
                List<DirectoryRecord> records = directoryLog.poll(pollWait);
                if (!records.isEmpty()) {
                    List<DirectoryRecord.Decoded> decoded = decode(records);
                    OperatorDirectory.await(directory.submit(() -> applyBatch(records, decoded)));
                    long l = directoryLog.currentLag();
                    if (l >= 0) {
                        lag = l;
                    }
                    publish();
                }
                if (System.nanoTime() - nextProbeNanos >= 0) {
                    probe();
                }
            } catch (WakeupException e) {
                // close()
            } catch (InvalidOffsetException e) {
                log.warn("directory log {}: {}; replaying it from the beginning", kafka.topic(), e.getMessage());
                needReplay = true;
            } catch (TimeoutException e) {
                lost(noAnswer());
                needReplay = true;
                pause(kafka.probeInterval());
            } catch (KafkaException e) {
                lost(describe(e));
                needReplay = true;
                pause(kafka.probeInterval());
            } catch (RuntimeException e) {
                log.error("directory log {}: unexpected failure, retrying", kafka.topic(), e);
                needReplay = true;
                pause(kafka.probeInterval());
            }
        }
    }

    /** After start from a snapshot, or a lost log: replays once the topic answers. */
    private void retry() {
        switch (directoryLog.describe(kafka.requestTimeout())) {
            case DirectoryLog.Topic.Ready r -> {
                log.info("directory log {} answers again: replaying it from the beginning", kafka.topic());
                replay();
                needReplay = false;
                nextProbeNanos = System.nanoTime() + kafka.probeInterval().toNanos();
            }
            case DirectoryLog.Topic.Missing m -> {
                lost(m.message());
                pause(kafka.probeInterval());
            }
            case DirectoryLog.Topic.TooManyPartitions p -> {
                lost(p.message());
                pause(kafka.probeInterval());
            }
            case DirectoryLog.Topic.Unreachable u -> {
                lost(u.message());
                pause(kafka.probeInterval());
            }
        }
    }

    /** Asks the log's end offset: the lag, and whether the log is still there. */
    private void probe() {
        nextProbeNanos = System.nanoTime() + kafka.probeInterval().toNanos();
        long end = directoryLog.endOffset(kafka.requestTimeout());
        long position = directoryLog.position(kafka.requestTimeout());
        lag = Math.max(0, end - position);
        if (lost) {
            // Back after an outage: records may have been compacted away meanwhile.
            log.info("directory log {} reachable again", kafka.topic());
            needReplay = true;
        } else if (state != DirectoryStatus.State.UP) {
            state(DirectoryStatus.State.UP, null);
        } else {
            publish();
        }
    }

    private void lost(String why) {
        if (closed) {
            return;
        }
        DirectoryStatus.State now = directory.loaded() ? DirectoryStatus.State.STALE : DirectoryStatus.State.DOWN;
        if (!lost || state != now || !why.equals(lostWhy)) {
            lostWhy = why;
            String error = "directory log " + kafka.bootstrapServers() + " unreachable since " + Instant.now() + " ("
                    + why + "); " + (directory.loaded() ? "routing from " + tableSource : "no route table");
            log.error("{}", error);
            state(now, error);
        }
        lost = true;
        lag = -1;
        publish();
    }

    private void pause(Duration d) {
        try {
            closing.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the directory's thread ----

    /**
     * Applies a batch in offset order to the state being replayed, or to the state in force and
     * then swaps the table once; answers this PoP's writes the batch decided once the table holds
     * them, and compensates for its rejected ones.
     */
    private static List<DirectoryRecord.Decoded> decode(List<DirectoryRecord> records) {
        List<DirectoryRecord.Decoded> decoded = new ArrayList<>(records.size());
        for (DirectoryRecord r : records) {
            decoded.add(r.decode());
        }
        return decoded;
    }

    /** {@code decoded}: the records' {@link DirectoryRecord#decode}, in the same order. */
    private Void applyBatch(List<DirectoryRecord> records, List<DirectoryRecord.Decoded> decoded) {
        DirectoryState target = replaying != null ? replaying : inForce;
        Set<String> changed = new HashSet<>(); // not kept by a replay: it swaps in the whole state at its end
        List<DirectoryState.Outcome.Rejected> ownRejected = new ArrayList<>();
        List<Long> ownRejectedOffsets = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            DirectoryRecord r = records.get(i);
            DirectoryState.Outcome outcome = target.apply(r, decoded.get(i));
            switch (outcome) {
                case DirectoryState.Outcome.Applied a -> {
                    metrics.applied();
                    if (replaying == null && a.changed()) {
                        changed.add(a.name());
                    }
                }
                case DirectoryState.Outcome.Rejected rejected -> {
                    metrics.rejected(rejected.reason());
                    String what = "directory record at offset " + r.offset() + " (key " + r.keyText() + ") rejected ("
                            + rejected.reason().label + "): " + rejected.message();
                    log.warn("{}", what);
                    directory.health().events().add(RecentEvents.Source.DIRECTORY, what);
                }
            }
            String request = r.request();
            Pending own = request == null ? null : pending.remove(request);
            if (own != null) {
                Written.Decided d = new Written.Decided(outcome);
                decided.add(() -> own.written().complete(d));
                if (outcome instanceof DirectoryState.Outcome.Rejected rejected && rejected.name() != null) {
                    ownRejected.add(rejected);
                    ownRejectedOffsets.add(r.offset());
                }
            }
        }
        DirectoryRecord last = records.getLast();
        offset = last.offset();
        lastAppliedAt = Instant.now();
        lastAppliedNanos = System.nanoTime();
        Map<String, Long> lastOfKey = ownRejected.isEmpty() ? Map.of() : lastOffsets(records);
        for (int i = 0; i < ownRejected.size(); i++) {
            String name = requireNonNull(ownRejected.get(i).name());
            long rejectedAt = ownRejectedOffsets.get(i);
            if (lastOfKey.get(name) == rejectedAt) {
                compensate(name, target.get(name), rejectedAt);
            }
        }
        if (replaying == null) {
            if (!changed.isEmpty()) {
                directory.apply(inForce.operators().values(), changed);
                fromLog = true;
                scheduleSnapshot();
            }
            answerDecided();
        }
        return null;
    }

    /** The offset of the last record of each key in {@code records}. */
    private static Map<String, Long> lastOffsets(List<DirectoryRecord> records) {
        Map<String, Long> last = new HashMap<>();
        for (DirectoryRecord r : records) {
            if (r.key() != null) {
                last.put(new String(r.key(), StandardCharsets.UTF_8), r.offset());
            }
        }
        return last;
    }

    private void finishReplay() {
        tableSource = "the table in force";
        DirectoryState fresh = requireNonNull(replaying, "replaying");
        replaying = null;
        inForce = fresh;
        fromLog = true;
        directory.apply(fresh.operators().values());
        answerDecided();
        scheduleSnapshot();
    }

    private void answerDecided() {
        for (Runnable r : decided) {
            r.run();
        }
        decided.clear();
    }

    /** Writes what keeps the rejected record at {@code rejectedAt} from being the last of its key. */
    private void compensate(String name, @Nullable Operator current, long rejectedAt) {
        writer.send(DirectoryRecord.compensation(kafka.topic(), name, current, rejectedAt, nextRequest()))
                .whenComplete((written, failure) -> {
                    metrics.compensation(failure == null);
                    if (failure == null) {
                        log.info(
                                "directory: compensating record for {} at offset {} ({} the value in force) after "
                                        + "the rejection of this PoP's write at offset {}",
                                name,
                                written.offset(),
                                current == null ? "a tombstone:" : "repeats",
                                rejectedAt);
                    } else {
                        log.error(
                                "directory: no compensating record for {} after the rejection at offset {} ({}); the "
                                        + "rejected record stays the last of its key until {} is written again",
                                name,
                                rejectedAt,
                                describe(failure),
                                name);
                    }
                });
    }

    private void scheduleSnapshot() {
        if (snapshotScheduled || closed) {
            return;
        }
        snapshotScheduled = true;
        // At most one per interval, and at most a tenth of the time: a large directory under a
        // stream of changes is not serialised again and again.
        long spacing = Math.max(config.snapshotInterval().toNanos(), 10 * snapshotWriteNanos);
        long wait = Math.max(0, lastSnapshotNanos + spacing - System.nanoTime());
        try {
            directory.executor().schedule(this::takeSnapshot, wait, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            snapshotScheduled = false;
        }
    }

    private void takeSnapshot() {
        snapshotScheduled = false;
        if (!fromLog || closed) {
            return;
        }
        lastSnapshotNanos = System.nanoTime();
        List<Operator> operators = inForce.list();
        long at = offset;
        try {
            snapshots.execute(() -> {
                long started = System.nanoTime();
                try {
                    DirectorySnapshot.write(config.snapshotFile(), kafka.topic(), at, operators, Instant.now());
                    snapshotWriteNanos = System.nanoTime() - started;
                    metrics.snapshotWritten(true);
                } catch (IOException | RuntimeException e) {
                    metrics.snapshotWritten(false);
                    log.error("directory snapshot {} not written: {}", config.snapshotFile(), e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    // ---- writes ----

    @Override
    public CompletableFuture<OperatorDirectory.Put> put(Operator operator) {
        long started = System.nanoTime();
        return directory
                .submit(() -> {
                    List<ConfigProblem> problems = new ArrayList<>(OperatorsFile.validate(operator, "operator"));
                    problems.addAll(OperatorsFile.validateAgainst(operator, "operator", directory.relayContext()));
                    if (!problems.isEmpty()) {
                        return done(new OperatorDirectory.Put.Invalid(problems));
                    }
                    ClaimConflict conflict = inForce.conflict(operator);
                    if (conflict != null) {
                        return done(
                                conflict.kind() == ClaimConflict.Kind.HOST
                                        ? new OperatorDirectory.Put.Conflict(conflict)
                                        : new OperatorDirectory.Put.Invalid(List.of(conflict.problem(
                                                conflict.kind() == ClaimConflict.Kind.PUBLIC_KEY
                                                        ? "operator.wireguard.public_key"
                                                        : "operator.wireguard.address"))));
                    }
                    if (operator.equals(inForce.get(operator.name()))) {
                        // An idempotent retry: nothing to write.
                        return done(new OperatorDirectory.Put.Updated(operator));
                    }
                    String request = nextRequest();
                    return write(DirectoryRecord.put(kafka.topic(), operator, request), request)
                            .thenApply(w -> putAnswer(w, started));
                })
                .thenCompose(f -> f);
    }

    @Override
    public CompletableFuture<OperatorDirectory.Delete> delete(String name) {
        long started = System.nanoTime();
        return directory
                .submit(() -> {
                    if (inForce.get(name) == null) {
                        return CompletableFuture.<OperatorDirectory.Delete>completedFuture(
                                new OperatorDirectory.Delete.NotFound(name));
                    }
                    String request = nextRequest();
                    return write(DirectoryRecord.delete(kafka.topic(), name, request), request)
                            .thenApply(w -> deleteAnswer(w, name, started));
                })
                .thenCompose(f -> f);
    }

    private static CompletableFuture<OperatorDirectory.Put> done(OperatorDirectory.Put put) {
        return CompletableFuture.completedFuture(put);
    }

    /** Sends a record of this PoP's (on the directory's thread) and waits for it to be decided here. */
    private CompletableFuture<Written> write(
            org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> record, String request) {
        CompletableFuture<Written> written = new CompletableFuture<>();
        pending.put(request, new Pending(written));
        String timeout = DurationText.format(kafka.writeTimeout());
        directory
                .executor()
                .schedule(
                        () -> unavailable(
                                request,
                                "the directory log did not confirm the change within " + timeout
                                        + (state == DirectoryStatus.State.UP ? "" : " (log " + state.label() + ")")
                                        + "; it may still be applied: GET the operator to see what is in force"),
                        kafka.writeTimeout().toNanos(),
                        TimeUnit.NANOSECONDS);
        writer.send(record).whenComplete((metadata, failure) -> {
            if (failure != null) {
                try {
                    directory
                            .executor()
                            .execute(() -> unavailable(
                                    request,
                                    "the directory log " + kafka.bootstrapServers() + " did not take the change ("
                                            + describe(failure) + "); it may still be applied: GET the operator to"
                                            + " see what is in force"));
                } catch (RejectedExecutionException e) {
                    written.complete(new Written.Unavailable("closing"));
                }
            }
        });
        return written;
    }

    private void unavailable(String request, String message) {
        Pending p = pending.remove(request);
        if (p != null) {
            p.written().complete(new Written.Unavailable(message));
        }
    }

    private OperatorDirectory.Put putAnswer(Written w, long started) {
        long nanos = System.nanoTime() - started;
        return switch (w) {
            case Written.Unavailable u -> {
                metrics.write(DirectoryMetrics.Method.PUT, DirectoryMetrics.WriteResult.UNAVAILABLE, nanos);
                yield new OperatorDirectory.Put.Unavailable(u.message());
            }
            case Written.Decided(DirectoryState.Outcome.Applied a) -> {
                metrics.write(DirectoryMetrics.Method.PUT, DirectoryMetrics.WriteResult.APPLIED, nanos);
                Operator current = requireNonNull(a.current(), "current");
                yield a.previous() == null
                        ? new OperatorDirectory.Put.Created(current)
                        : new OperatorDirectory.Put.Updated(current);
            }
            case Written.Decided(DirectoryState.Outcome.Rejected r) -> {
                metrics.write(DirectoryMetrics.Method.PUT, DirectoryMetrics.WriteResult.REJECTED, nanos);
                ClaimConflict conflict = r.conflict();
                yield conflict != null
                        ? new OperatorDirectory.Put.Conflict(conflict)
                        : new OperatorDirectory.Put.Rejected(r.reason().label, r.message());
            }
        };
    }

    private OperatorDirectory.Delete deleteAnswer(Written w, String name, long started) {
        long nanos = System.nanoTime() - started;
        return switch (w) {
            case Written.Unavailable u -> {
                metrics.write(DirectoryMetrics.Method.DELETE, DirectoryMetrics.WriteResult.UNAVAILABLE, nanos);
                yield new OperatorDirectory.Delete.Unavailable(u.message());
            }
            case Written.Decided d -> {
                metrics.write(DirectoryMetrics.Method.DELETE, DirectoryMetrics.WriteResult.APPLIED, nanos);
                yield new OperatorDirectory.Delete.Deleted(name);
            }
        };
    }

    private String nextRequest() {
        return requestPrefix + requests.incrementAndGet();
    }

    // ---- status ----

    private void state(DirectoryStatus.State next, @Nullable String error) {
        state = next;
        directory.reportError(error);
        publish();
    }

    private void publish() {
        long o = offset;
        long l = lag;
        directory
                .health()
                .directory(new DirectoryStatus(
                        state, DirectoryStatus.Source.KAFKA, o < 0 ? null : o, l < 0 ? null : l, lastAppliedAt));
    }

    DirectoryStatus.State state() {
        return state;
    }

    long offset() {
        return offset;
    }

    long lag() {
        return lag;
    }

    double lastAppliedAgeSeconds() {
        long since = lastAppliedAt == null ? startNanos : lastAppliedNanos;
        return (System.nanoTime() - since) / 1e9;
    }

    private static String describe(Throwable t) {
        Throwable cause =
                t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        String m = cause.getMessage();
        return cause.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    @Override
    public void close() {
        closed = true;
        closing.countDown();
        Thread t = loop;
        if (t != null) {
            directoryLog.wakeup();
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            directory
                    .submit(() -> {
                        pending.values().forEach(p -> p.written().complete(new Written.Unavailable("closing")));
                        pending.clear();
                        return null;
                    })
                    .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        snapshots.shutdown();
        try {
            snapshots.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.close();
        directoryLog.close();
        log.debug("directory log source of {} closed", pop);
    }
}
