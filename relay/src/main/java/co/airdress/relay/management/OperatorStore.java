package co.airdress.relay.management;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.Routes;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The operators file as the source of truth: loads it, watches it and hot-reloads it (an invalid
 * file is rejected whole and the old table stays), applies admin API changes and persists them
 * atomically (temp file + rename), and swaps the route table in {@link Routes}.
 *
 * <p>API contract (stub: implementation pending).
 */
public final class OperatorStore implements AutoCloseable {

    /** The outcome of a put. */
    public sealed interface Put {
        record Created(Operator operator) implements Put {}

        record Updated(Operator operator) implements Put {}

        /** A host already belongs to another operator (409). */
        record Conflict(String host, String owner) implements Put {}

        record Invalid(List<ConfigProblem> problems) implements Put {}
    }

    public OperatorStore(Path file, Routes routes, HealthState health, RelayMetrics metrics) {
        throw new UnsupportedOperationException("pending");
    }

    /** Loads the file (failing startup if it is invalid) and starts watching it. */
    public void start() {
        throw new UnsupportedOperationException("pending");
    }

    public List<Operator> list() {
        throw new UnsupportedOperationException("pending");
    }

    public @Nullable Operator get(String name) {
        throw new UnsupportedOperationException("pending");
    }

    public Put put(Operator operator) {
        throw new UnsupportedOperationException("pending");
    }

    /** Returns false when no operator has that name. */
    public boolean delete(String name) {
        throw new UnsupportedOperationException("pending");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("pending");
    }
}
