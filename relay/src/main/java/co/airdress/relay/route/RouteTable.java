package co.airdress.relay.route;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.HostPattern;
import co.airdress.relay.config.Operator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Immutable host to operator table. Exact names beat wildcards; among wildcards the longest
 * suffix wins; {@code *.x} matches any name below {@code x} but not {@code x} itself. Lookups are
 * lock-free (the table never changes; {@link Routes} swaps whole tables).
 *
 * <p>Two hash maps: exact names, and wildcard suffixes (the pattern without its "*."). A lookup is
 * one probe of the exact map, then one probe per parent suffix of at least two labels, longest
 * first, so a name with n labels costs at most n-1 probes whatever the table's size.
 */
public final class RouteTable {

    private static final RouteTable EMPTY = new RouteTable(Map.of(), Map.of(), List.of(), 0);

    private final Map<String, Operator> exact;
    private final Map<String, Operator> wildcardSuffixes;
    private final List<Operator> operators;
    private final long version;

    private RouteTable(Map<String, Operator> exact, Map<String, Operator> wildcardSuffixes, List<Operator> operators, long version) {
        this.exact = exact;
        this.wildcardSuffixes = wildcardSuffixes;
        this.operators = operators;
        this.version = version;
    }

    /** Builds a table from validated operators (see OperatorsFile.validate). */
    public static RouteTable of(List<Operator> operators, long version) {
        requireNonNull(operators, "operators");
        int total = 0;
        for (Operator op : operators) {
            total += op.hosts().size();
        }
        // Sized up front so a million-host table is built without rehashing.
        Map<String, Operator> exact = HashMap.newHashMap(total);
        Map<String, Operator> wildcards = new HashMap<>();
        for (Operator op : operators) {
            for (String host : op.hosts()) {
                Operator previous = HostPattern.isWildcard(host)
                        ? wildcards.putIfAbsent(host.substring(2), op)
                        : exact.putIfAbsent(host, op);
                if (previous != null && previous != op) {
                    throw new IllegalArgumentException("host: " + host + " (expected: owned by one operator, not "
                            + previous.name() + " and " + op.name() + ")");
                }
            }
        }
        return new RouteTable(exact, wildcards.isEmpty() ? Map.of() : wildcards, List.copyOf(operators), version);
    }

    public static RouteTable empty() {
        return EMPTY;
    }

    /** {@code host} is already normalised (lowercase, no trailing dot) by the peek. */
    public @Nullable Operator lookup(String host) {
        Operator op = exact.get(host);
        if (op != null || wildcardSuffixes.isEmpty()) {
            return op;
        }
        // Walk parent suffixes, longest first; a suffix needs a dot in it (wildcards cover >= 2 labels).
        int dot = host.indexOf('.');
        while (dot >= 0) {
            int next = host.indexOf('.', dot + 1);
            if (next < 0) {
                return null;
            }
            op = wildcardSuffixes.get(host.substring(dot + 1));
            if (op != null) {
                return op;
            }
            dot = next;
        }
        return null;
    }

    /** Number of host patterns. */
    public int size() {
        return exact.size() + wildcardSuffixes.size();
    }

    public long version() {
        return version;
    }

    public List<Operator> operators() {
        return operators;
    }
}
