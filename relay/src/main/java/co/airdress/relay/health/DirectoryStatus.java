package co.airdress.relay.health;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The operator directory's check in {@code /readyz} ({@code checks.directory}): whether the PoP
 * has a table, and how current it is.
 *
 * @param status UP: a table in force and its source reachable and read; STALE: a table in force
 *     that may be old (the log is unreachable, or the table came from the snapshot): the PoP stays
 *     announced; DOWN: no table, the PoP is withdrawn
 * @param source where the operators come from
 * @param offset the log offset of the last record applied (null for the file, or before any)
 * @param lag records in the log not applied yet (null for the file, or when unknown)
 * @param lastAppliedAt when a record (or the file) was last applied, null before
 */
public record DirectoryStatus(
        State status,
        Source source,
        @Nullable Long offset,
        @Nullable Long lag,
        @Nullable Instant lastAppliedAt) {

    public DirectoryStatus {
        requireNonNull(status, "status");
        requireNonNull(source, "source");
    }

    public enum State {
        UP,
        STALE,
        DOWN;

        /** The metric label: {@code up}, {@code stale}, {@code down}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Source {
        KAFKA,
        FILE;

        @JsonValue
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Before the file was loaded. */
    public static DirectoryStatus fileNotLoaded() {
        return new DirectoryStatus(State.DOWN, Source.FILE, null, null, null);
    }
}
