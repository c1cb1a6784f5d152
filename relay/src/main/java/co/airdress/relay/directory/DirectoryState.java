package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorClaims;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The operators of a directory by name and what they claim ({@link OperatorClaims}), changed one
 * operator at a time, without I/O. Whatever a change comes from (the admin API on the operators
 * file, a record of the directory's log), it passes the same rules here.
 *
 * <p>{@link #apply} is the log's rule: records applied in offset order, each one accepted or
 * rejected from the record and the state alone, so every PoP that reads the same log reaches the
 * same state. A rejected record changes nothing: its key keeps the value accepted before it.
 *
 * <p>Not thread-safe: owned by one thread (the directory's).
 */
final class DirectoryState {

    /** What applying one record did. */
    sealed interface Outcome {
        /** The record is in force: {@code previous} was replaced by {@code current} (null: absent). */
        record Applied(
                String name,
                @Nullable Operator previous,
                @Nullable Operator current) implements Outcome {
            boolean changed() {
                return !java.util.Objects.equals(previous, current);
            }
        }

        /**
         * The record changed nothing. {@code name} is its key when it is a valid name (else null);
         * {@code conflict} the claim it lost to, for {@link DirectoryRecord.Reason#CONFLICT}.
         */
        record Rejected(
                @Nullable String name,
                DirectoryRecord.Reason reason,
                String message,
                @Nullable ClaimConflict conflict) implements Outcome {}
    }

    private final Map<String, Operator> operators = new LinkedHashMap<>();
    private final OperatorClaims claims = new OperatorClaims();

    DirectoryState() {}

    /** A state holding {@code operators}, a set without conflicts (a validated operators file, a snapshot). */
    static DirectoryState of(Collection<Operator> operators) {
        DirectoryState state = new DirectoryState();
        for (Operator op : operators) {
            state.operators.put(op.name(), op);
            state.claims.add(op);
        }
        return state;
    }

    @Nullable
    Operator get(String name) {
        return operators.get(requireNonNull(name, "name"));
    }

    int size() {
        return operators.size();
    }

    /** The operators, in the order they were first put; a read-only view. */
    Map<String, Operator> operators() {
        return Collections.unmodifiableMap(operators);
    }

    List<Operator> list() {
        return List.copyOf(operators.values());
    }

    /**
     * What keeps {@code operator} from replacing the operator of its name: a claim of another
     * operator, or null. Its own version in force never conflicts with it.
     */
    @Nullable
    ClaimConflict conflict(Operator operator) {
        return claims.conflict(requireNonNull(operator, "operator"));
    }

    /**
     * Adds {@code operator} or replaces the one of its name; returns the one replaced, or null.
     * The caller has checked {@link #conflict}.
     */
    @Nullable
    Operator put(Operator operator) {
        requireNonNull(operator, "operator");
        Operator previous = operators.put(operator.name(), operator);
        if (previous != null) {
            claims.remove(previous);
        }
        claims.add(operator);
        return previous;
    }

    /**
     * Applies one record of the log: a valid put whose claims conflict with no other operator's
     * replaces the operator of its name, a tombstone removes it; anything else is rejected.
     */
    Outcome apply(DirectoryRecord record) {
        return apply(record, record.decode());
    }

    /** {@link #apply(DirectoryRecord)} of a record already decoded ({@code decoded}: its {@link DirectoryRecord#decode}). */
    Outcome apply(DirectoryRecord record, DirectoryRecord.Decoded decoded) {
        return switch (decoded) {
            case DirectoryRecord.Decoded.Invalid invalid -> {
                String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                yield new Outcome.Rejected(
                        key != null && NameRule.matches(key) ? key : null, invalid.reason(), invalid.message(), null);
            }
            case DirectoryRecord.Decoded.Delete delete ->
                new Outcome.Applied(delete.name(), delete(delete.name()), null);
            case DirectoryRecord.Decoded.Put put -> {
                Operator op = put.operator();
                ClaimConflict conflict = conflict(op);
                if (conflict != null) {
                    yield new Outcome.Rejected(
                            op.name(), DirectoryRecord.Reason.CONFLICT, conflict.message(), conflict);
                }
                yield new Outcome.Applied(op.name(), put(op), op);
            }
        };
    }

    /** Removes the operator named {@code name}; returns it, or null when there was none. */
    @Nullable
    Operator delete(String name) {
        Operator previous = operators.remove(requireNonNull(name, "name"));
        if (previous != null) {
            claims.remove(previous);
        }
        return previous;
    }
}
