package co.airdress.relay.route;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.HostPattern;
import co.airdress.relay.config.Operator;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
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
 *
 * <p><b>Changes.</b> {@link #with} makes the next table from this one and what changed: the
 * changed patterns go into a small overlay (patterns added, patterns removed) in front of the
 * base tables, which are shared, so a change costs what it changes, not the size of the table.
 * The overlay is consulted first; once it holds more than {@value #MIN_OVERLAY} patterns and an
 * eighth of the table, the next change builds a whole table again. A lookup of a table with an
 * overlay costs at most three probes where a plain table costs one.
 */
public final class RouteTable {

    /** The overlay may always grow to this many patterns before the table is built again. */
    static final int MIN_OVERLAY = 1024;

    private static final Overlay NO_OVERLAY =
            new Overlay(Map.of(), Set.of(), new Suffixes(Map.of()), new Suffixes(Map.of()), 0);

    private static final RouteTable EMPTY =
            new RouteTable(Map.of(), new Suffixes(Map.of()), NO_OVERLAY, List.of(), 0, 0);

    private final Map<String, Operator> exact;
    private final Suffixes wildcardSuffixes;
    private final Overlay overlay;
    private final List<Operator> operators;
    private final int size;
    private final long version;

    /**
     * Patterns changed since the base tables were built. {@code exactAdded} and
     * {@code wildcardsAdded} (by suffix) hold the patterns' owners now; {@code exactRemoved} and
     * {@code wildcardsRemoved} the base's patterns that no operator holds any more (the value of a
     * removed suffix is its former owner, only its presence counts).
     */
    private record Overlay(
            Map<String, Operator> exactAdded,
            Set<String> exactRemoved,
            Suffixes wildcardsAdded,
            Suffixes wildcardsRemoved,
            int patterns) {

        boolean isEmpty() {
            return patterns == 0;
        }
    }

    private RouteTable(
            Map<String, Operator> exact,
            Suffixes wildcardSuffixes,
            Overlay overlay,
            List<Operator> operators,
            int size,
            long version) {
        this.exact = exact;
        this.wildcardSuffixes = wildcardSuffixes;
        this.overlay = overlay;
        this.operators = operators;
        this.size = size;
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
        return new RouteTable(
                exact,
                new Suffixes(wildcards),
                NO_OVERLAY,
                List.copyOf(operators),
                exact.size() + wildcards.size(),
                version);
    }

    /**
     * The table after a change: this table without the patterns of {@code removed} (the old
     * versions of the operators that changed or went; a pattern goes when its owner has the same
     * name) and with those of {@code added} (the new versions), in that order; {@code operators} is the whole new set (an immutable list,
     * kept as {@link #operators()}, read only when the table is built again). The result is the
     * table {@link #of} would build from {@code operators}: the caller (the operator directory)
     * keeps the set free of conflicting patterns; a pattern of {@code added} that another operator
     * still holds fails like {@link #of} does.
     */
    public RouteTable with(
            Collection<Operator> removed, Collection<Operator> added, List<Operator> operators, long version) {
        requireNonNull(removed, "removed");
        requireNonNull(added, "added");
        requireNonNull(operators, "operators");
        int changed = 0;
        for (Operator op : removed) {
            changed += op.hosts().size();
        }
        for (Operator op : added) {
            changed += op.hosts().size();
        }
        if (overlay.patterns() + changed > Math.max(MIN_OVERLAY, size / 8)) {
            return of(operators, version);
        }
        Map<String, Operator> exactAdded = new HashMap<>(overlay.exactAdded());
        Set<String> exactRemoved = new HashSet<>(overlay.exactRemoved());
        Map<String, Operator> wildcardsAdded = overlay.wildcardsAdded().toMap();
        Map<String, Operator> wildcardsRemoved = overlay.wildcardsRemoved().toMap();
        int newSize = size;
        for (Operator op : removed) {
            for (String host : op.hosts()) {
                boolean wildcard = HostPattern.isWildcard(host);
                String key = wildcard ? host.substring(2) : host;
                Operator owner = wildcard
                        ? owner(key, wildcardsAdded, wildcardsRemoved.keySet(), wildcardSuffixes::get)
                        : owner(key, exactAdded, exactRemoved, exact::get);
                if (owner == null || !owner.name().equals(op.name())) {
                    continue; // not this operator's pattern in this table
                }
                newSize--;
                if (wildcard) {
                    wildcardsAdded.remove(key);
                    if (wildcardSuffixes.get(key) != null) {
                        wildcardsRemoved.put(key, op);
                    }
                } else {
                    exactAdded.remove(key);
                    if (exact.containsKey(key)) {
                        exactRemoved.add(key);
                    }
                }
            }
        }
        for (Operator op : added) {
            for (String host : op.hosts()) {
                boolean wildcard = HostPattern.isWildcard(host);
                String key = wildcard ? host.substring(2) : host;
                Map<String, Operator> addedNow = wildcard ? wildcardsAdded : exactAdded;
                boolean inBase = wildcard
                        ? wildcardSuffixes.get(key) != null && !wildcardsRemoved.containsKey(key)
                        : exact.containsKey(key) && !exactRemoved.contains(key);
                Operator previous = addedNow.putIfAbsent(key, op);
                if (previous == null && inBase) {
                    previous = wildcard ? wildcardSuffixes.get(key) : exact.get(key);
                    addedNow.put(key, op);
                }
                if (previous != null && !previous.name().equals(op.name())) {
                    throw new IllegalArgumentException("host: " + host + " (expected: owned by one operator, not "
                            + previous.name() + " and " + op.name() + ")");
                }
                if (previous == null) {
                    newSize++;
                }
            }
        }
        int patterns = exactAdded.size() + exactRemoved.size() + wildcardsAdded.size() + wildcardsRemoved.size();
        Overlay next = patterns == 0
                ? NO_OVERLAY
                : new Overlay(
                        Map.copyOf(exactAdded),
                        Set.copyOf(exactRemoved),
                        new Suffixes(wildcardsAdded),
                        new Suffixes(wildcardsRemoved),
                        patterns);
        return new RouteTable(exact, wildcardSuffixes, next, operators, newSize, version);
    }

    public static RouteTable empty() {
        return EMPTY;
    }

    /** {@code host} is already normalised (lowercase, no trailing dot) by the peek. */
    public @Nullable Operator lookup(String host) {
        Operator op;
        if (overlay.isEmpty()) {
            op = exact.get(host);
        } else {
            op = overlay.exactAdded().get(host);
            if (op == null && !overlay.exactRemoved().contains(host)) {
                op = exact.get(host);
            }
        }
        if (op != null
                || (wildcardSuffixes.isEmpty() && overlay.wildcardsAdded().isEmpty())) {
            return op;
        }
        return longestWildcard(host);
    }

    /**
     * The wildcard with the longest suffix of {@code host}: walks the host from its end, extending
     * {@link String#hashCode} of the current suffix one character at a time, and probes at each dot
     * that has another dot to its right.
     */
    private @Nullable Operator longestWildcard(String host) {
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
                Operator match = wildcard(host, i, h);
                if (match != null) {
                    best = match; // walking right to left: each match is longer than the last
                }
            }
            dotSeen = true;
        }
        return best;
    }

    /** The wildcard whose suffix is {@code host} from {@code from} (hash {@code h}), overlay first. */
    private @Nullable Operator wildcard(String host, int from, int h) {
        if (overlay.isEmpty()) {
            return wildcardSuffixes.get(host, from, h);
        }
        Operator op = overlay.wildcardsAdded().get(host, from, h);
        if (op != null || overlay.wildcardsRemoved().get(host, from, h) != null) {
            return op;
        }
        return wildcardSuffixes.get(host, from, h);
    }

    /** The owner of {@code key} in the base tables ({@code base}) as changed by an overlay, or null. */
    private static @Nullable Operator owner(
            String key, Map<String, Operator> added, Set<String> removed, Function<String, @Nullable Operator> base) {
        Operator op = added.get(key);
        if (op != null) {
            return op;
        }
        return removed.contains(key) ? null : base.apply(key);
    }

    /** Number of host patterns. */
    public int size() {
        return size;
    }

    public long version() {
        return version;
    }

    public List<Operator> operators() {
        return operators;
    }

    /**
     * Wildcard suffixes in an open-addressing table (linear probing, load at most 1/2), probed
     * with a suffix of a host and its hash computed in place ({@link #longestWildcard}).
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

        /** The operator of exactly {@code suffix}, or null. */
        @Nullable
        Operator get(String suffix) {
            return size == 0 ? null : get(suffix, 0, suffix.hashCode());
        }

        Map<String, Operator> toMap() {
            Map<String, Operator> map = HashMap.newHashMap(size);
            for (int slot = 0; slot < keys.length; slot++) {
                if (keys[slot] != null) {
                    map.put(keys[slot], values[slot]);
                }
            }
            return map;
        }

        @Nullable
        Operator get(String host, int from, int h) {
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
