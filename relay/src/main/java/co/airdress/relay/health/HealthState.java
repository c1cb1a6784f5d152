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
    private volatile long routeVersion;
    private volatile @Nullable Instant drainStartedAt;
    // null: no tunnel configured (the check is absent); else whether the WireGuard device runs.
    private volatile @Nullable Boolean tunnelUp;
    // null: not reported (a file directory, described by operatorsLoaded alone).
    private volatile @Nullable DirectoryStatus directory;

    public HealthState(String pop) {
        this.pop = requireNonNull(pop, "pop");
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

    /** A route table is in force (version), and the last reload's error, if any. */
    public void operators(boolean loaded, long version, @Nullable String lastError) {
        this.routeVersion = version;
        this.operatorsError = lastError;
        this.operatorsLoaded = loaded;
    }

    public boolean operatorsLoaded() {
        return operatorsLoaded;
    }

    public @Nullable String operatorsError() {
        return operatorsError;
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
}
