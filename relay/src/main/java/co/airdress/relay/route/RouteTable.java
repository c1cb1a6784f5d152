package co.airdress.relay.route;

import co.airdress.relay.config.Operator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Immutable host to operator table. Exact names beat wildcards; among wildcards the longest
 * suffix wins; {@code *.x} matches any name below {@code x} but not {@code x} itself. Lookups are
 * lock-free (the table never changes; {@link Routes} swaps whole tables).
 *
 * <p>API contract (stub: implementation pending).
 */
public final class RouteTable {

    /** Builds a table from validated operators (see OperatorsFile.validate). */
    public static RouteTable of(List<Operator> operators, long version) {
        throw new UnsupportedOperationException("pending");
    }

    public static RouteTable empty() {
        throw new UnsupportedOperationException("pending");
    }

    /** {@code host} is already normalised (lowercase, no trailing dot) by the peek. */
    public @Nullable Operator lookup(String host) {
        throw new UnsupportedOperationException("pending");
    }

    /** Number of host patterns. */
    public int size() {
        throw new UnsupportedOperationException("pending");
    }

    public long version() {
        throw new UnsupportedOperationException("pending");
    }

    public List<Operator> operators() {
        throw new UnsupportedOperationException("pending");
    }
}
