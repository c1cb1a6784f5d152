package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorClaims;
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
 * <p>Not thread-safe: owned by one thread (the directory's).
 */
final class DirectoryState {

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
