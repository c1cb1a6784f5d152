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
 * <p>Two hash tables: exact names (a HashMap), and wildcard suffixes (the pattern without its
 * "*."), an open-addressing table probed with the hash of each parent suffix computed in place, so
 * the walk allocates nothing. A lookup is one probe of the exact map, then one probe per parent
 * suffix of at least two labels; the longest suffix that matches wins. A name with n labels costs
 * at most n-1 probes whatever the table's size.
 */
public final class RouteTable {

    private static final RouteTable EMPTY = new RouteTable(Map.of(), new Suffixes(Map.of()), List.of(), 0);

    private final Map<String, Operator> exact;
    private final Suffixes wildcardSuffixes;
    private final List<Operator> operators;
    private final long version;

    private RouteTable(Map<String, Operator> exact, Suffixes wildcardSuffixes, List<Operator> operators, long version) {
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
        return new RouteTable(exact, new Suffixes(wildcards), List.copyOf(operators), version);
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
        return wildcardSuffixes.longestMatch(host);
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

    /**
     * Wildcard suffixes in an open-addressing table (linear probing, load at most 1/2). A lookup
     * walks the host from its end, extending {@link String#hashCode} of the current suffix one
     * character at a time, and probes at each dot that has another dot to its right.
     */
    private static final class Suffixes {
        private final String[] keys;
        private final int[] hashes;
        private final Operator[] values;
        private final int mask;
        private final int size;

        Suffixes(Map<String, Operator> map) {
            int capacity = Integer.highestOneBit(Math.max(2, map.size()) * 2 - 1) << 1;
            keys = new String[capacity];
            hashes = new int[capacity];
            values = new Operator[capacity];
            mask = capacity - 1;
            size = map.size();
            for (Map.Entry<String, Operator> e : map.entrySet()) {
                int h = e.getKey().hashCode();
                int slot = spread(h) & mask;
                while (keys[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = e.getKey();
                hashes[slot] = h;
                values[slot] = e.getValue();
            }
        }

        boolean isEmpty() {
            return size == 0;
        }

        int size() {
            return size;
        }

        @Nullable
        Operator longestMatch(String host) {
            Operator best = null;
            int h = 0;
            int pow = 1;
            boolean dotSeen = false;
            for (int i = host.length() - 1; i > 0; i--) {
                h += host.charAt(i) * pow;
                pow *= 31;
                if (host.charAt(i - 1) != '.') {
                    continue;
                }
                if (dotSeen) {
                    Operator op = get(host, i, h);
                    if (op != null) {
                        best = op; // walking right to left: each match is longer than the last
                    }
                }
                dotSeen = true;
            }
            return best;
        }

        private @Nullable Operator get(String host, int from, int h) {
            int len = host.length() - from;
            for (int slot = spread(h) & mask; ; slot = (slot + 1) & mask) {
                String k = keys[slot];
                if (k == null) {
                    return null;
                }
                if (hashes[slot] == h && k.length() == len && host.regionMatches(from, k, 0, len)) {
                    return values[slot];
                }
            }
        }

        private static int spread(int h) {
            return h ^ (h >>> 16);
        }
    }
}
