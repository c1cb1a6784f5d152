package co.airdress.relay.health;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What readiness is computed from, written by the parts that know (listeners, operator directory,
 * drain) and read by /readyz without blocking anything. Each field is independent, so plain
 * volatile fields suffice.
 */
public final class HealthState {

    private final String pop;
    private final Map<String, Boolean> listeners = new ConcurrentHashMap<>();
    private volatile boolean operatorsLoaded;
    private volatile @Nullable String operatorsError;
    // Where operatorsError comes from: the operators file, or the directory's log.
    private volatile RecentEvents.Source operatorsErrorSource = RecentEvents.Source.OPERATORS_FILE;
    private volatile long routeVersion;
    private volatile @Nullable Instant drainStartedAt;
    // null: no tunnel configured (the check is absent); else whether the WireGuard device runs.
    private volatile @Nullable Boolean tunnelUp;
    // null: not reported (a file directory, described by operatorsLoaded alone).
    private volatile @Nullable DirectoryStatus directory;
    private final RecentEvents events;

    public HealthState(String pop) {
        this(pop, new RecentEvents());
    }

    public HealthState(String pop, RecentEvents events) {
        this.pop = requireNonNull(pop, "pop");
        this.events = requireNonNull(events, "events");
    }

    public String pop() {
        return pop;
    }

    /** A listener ("http", "tls") is bound and accepting, or not. */
    public void listener(String name, boolean accepting) {
        listeners.put(requireNonNull(name, "name"), accepting);
    }

    public Map<String, Boolean> listeners() {
        return Map.copyOf(listeners);
    }

    /**
     * The word {@code /readyz} answers with, from cached state only: DRAINING once a drain has
     * started; else UP when the listeners accept, an operators table is in force
     * ({@link #operatorsUp}) and the tunnel (if configured) runs; else DOWN.
     */
    public Readiness readiness() {
        return readiness(isDraining(), allAccepting(listeners()), operatorsUp(), tunnelUp);
    }

    /**
     * An operators table is in force and the directory is not DOWN. A STALE directory (its log
     * unreachable, or the table from the snapshot) still routes: it counts as up.
     */
    public boolean operatorsUp() {
        DirectoryStatus d = directory;
        return operatorsLoaded && (d == null || d.status() != DirectoryStatus.State.DOWN);
    }

    /** At least one listener is bound and every one accepts. */
    public static boolean allAccepting(Map<String, Boolean> listeners) {
        return !listeners.isEmpty() && !listeners.containsValue(false);
    }

    /** The rule of {@link #readiness()} over one consistent reading of its inputs. */
    public static Readiness readiness(
            boolean draining, boolean listenersUp, boolean operatorsLoaded, @Nullable Boolean tunnelUp) {
        if (draining) {
            return Readiness.DRAINING;
        }
        return Readiness.upIf(listenersUp && operatorsLoaded && (tunnelUp == null || tunnelUp));
    }

    /**
     * A route table is in force (version), and the operators file's last reload error, if any. A
     * new error (not the one already shown) is also recorded in {@link #events()}.
     */
    public void operators(boolean loaded, long version, @Nullable String lastError) {
        operators(loaded, version, lastError, RecentEvents.Source.OPERATORS_FILE);
    }

    /**
     * {@link #operators(boolean, long, String)} for the error of the directory's source named by
     * {@code source}: the operators file, or the directory's log (unreachable, routing from the
     * snapshot), which is not an operators file rejected.
     */
    public void operators(boolean loaded, long version, @Nullable String lastError, RecentEvents.Source source) {
        requireNonNull(source, "source");
        if (lastError != null && !lastError.equals(operatorsError)) {
            events.add(source, lastError);
        }
        this.routeVersion = version;
        this.operatorsErrorSource = source;
        this.operatorsError = lastError;
        this.operatorsLoaded = loaded;
    }

    public boolean operatorsLoaded() {
        return operatorsLoaded;
    }

    public @Nullable String operatorsError() {
        return operatorsError;
    }

    /** The operators file's last reload was rejected: an error, and from the file (not from the log). */
    public boolean operatorsFileRejected() {
        return operatorsError != null && operatorsErrorSource == RecentEvents.Source.OPERATORS_FILE;
    }

    public long routeVersion() {
        return routeVersion;
    }

    /** The operator directory's state, written by its source. */
    public void directory(DirectoryStatus status) {
        this.directory = requireNonNull(status, "status");
    }

    /**
     * The directory's state as its source reported it; without a report, that of a file directory
     * from {@link #operatorsLoaded}.
     */
    public DirectoryStatus directory() {
        DirectoryStatus d = directory;
        if (d != null) {
            return d;
        }
        return operatorsLoaded
                ? new DirectoryStatus(DirectoryStatus.State.UP, DirectoryStatus.Source.FILE, null, null, null)
                : DirectoryStatus.fileNotLoaded();
    }

    /** The WireGuard device runs (true) or not (false); never called when no tunnel is configured. */
    public void tunnel(boolean up) {
        this.tunnelUp = up;
    }

    /** null when no tunnel is configured. */
    public @Nullable Boolean tunnelUp() {
        return tunnelUp;
    }

    /** Marks the PoP draining (idempotent: the first call's time stays). */
    public void draining(Instant since) {
        if (drainStartedAt == null) {
            drainStartedAt = requireNonNull(since, "since");
        }
    }

    public @Nullable Instant drainStartedAt() {
        return drainStartedAt;
    }

    public boolean isDraining() {
        return drainStartedAt != null;
    }

    /** The last errors worth showing a person (rejected reloads, rejected directory records). */
    public RecentEvents events() {
        return events;
    }
}
