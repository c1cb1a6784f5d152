package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.WireGuardKey;
import java.net.InetAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What a set of operators claims, by owner: host patterns, WireGuard public keys and tunnel
 * addresses; and the one rule for when a claim conflicts with another operator's. The operators
 * file, the admin API and the directory's log all decide conflicts here.
 *
 * <p><b>The rule for hosts.</b> A pattern covers the names it can route: an exact name covers
 * itself; {@code *.x} covers every name strictly below {@code x} ({@code a.x}, {@code b.a.x}, ...)
 * and every wildcard below it ({@code *.a.x}), but not {@code x} itself. Two operators' patterns
 * conflict when they are the same or one covers the other: nobody claims a host under another
 * operator's wildcard, and no wildcard is claimed over another operator's host or wildcard. So
 * {@code *.alice.example.com} (alice) conflicts with {@code login.alice.example.com} and with
 * {@code *.login.alice.example.com} of bob, not with bob's {@code alice.example.com}. An
 * operator's own patterns never conflict with each other (its exact name beats its wildcard in
 * the route table). Keys and addresses conflict when they are the same.
 *
 * <p><b>Cost.</b> Patterns are kept ordered as read from the right ({@code example.com <
 * *.example.com < a.example.com < b.a.example.com < b.example.com}), so everything below a name
 * is one contiguous range. Checking an exact name is one lookup per label (the wildcards that
 * could cover it); checking a wildcard adds a walk of its range that stops at the first pattern of
 * another operator, so it costs no more than the operator's own patterns below it. Nothing is
 * proportional to the number of operators beyond the map's logarithm.
 *
 * <p>Not thread-safe.
 */
public final class OperatorClaims {

    private final NavigableMap<String, String> hosts = new TreeMap<>(OperatorClaims::compareFromTheRight);
    // The wildcards again, by suffix ("alice.example.com" for "*.alice.example.com"): the lookups
    // of the wildcards that could cover a pattern, one hash probe per label.
    private final Map<String, String> wildcards = new HashMap<>();
    private final Map<WireGuardKey, String> keys = new HashMap<>();
    private final Map<InetAddress, String> addresses = new HashMap<>();

    /** The claims of {@code operators}, a set without conflicts (e.g. validated by {@link OperatorsFile}). */
    public static OperatorClaims of(Collection<Operator> operators) {
        OperatorClaims claims = new OperatorClaims();
        for (Operator op : requireNonNull(operators, "operators")) {
            claims.add(op);
        }
        return claims;
    }

    /** The operator that claims exactly {@code pattern}, or null. */
    public @Nullable String hostOwner(String pattern) {
        return hosts.get(requireNonNull(pattern, "pattern"));
    }

    public @Nullable String keyOwner(WireGuardKey key) {
        return keys.get(requireNonNull(key, "key"));
    }

    public @Nullable String addressOwner(InetAddress address) {
        return addresses.get(requireNonNull(address, "address"));
    }

    /**
     * The claim of an operator other than {@code operator} that {@code pattern} conflicts with, or
     * null: the same pattern first, then a wildcard covering it, then (for a wildcard) a pattern
     * below it.
     */
    public @Nullable ClaimConflict hostConflict(String operator, String pattern) {
        requireNonNull(operator, "operator");
        requireNonNull(pattern, "pattern");
        boolean wildcard = HostPattern.isWildcard(pattern);
        String name = wildcard ? pattern.substring(2) : pattern;
        String owner = wildcard ? wildcards.get(name) : hosts.get(pattern);
        if (owner != null && !owner.equals(operator)) {
            return host(operator, pattern, owner, pattern);
        }
        for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
            String above = name.substring(dot + 1);
            owner = wildcards.get(above);
            if (owner != null && !owner.equals(operator)) {
                return host(operator, pattern, owner, "*." + above);
            }
        }
        if (wildcard) {
            for (Map.Entry<String, String> below : hosts.tailMap(name, false).entrySet()) {
                if (!isBelow(below.getKey(), name)) {
                    break;
                }
                if (!below.getValue().equals(operator)) {
                    return host(operator, pattern, below.getValue(), below.getKey());
                }
            }
        }
        return null;
    }

    /**
     * The first claim of {@code operator} (hosts, then its key, then its address) that conflicts
     * with another operator's, or null. Claims held under the operator's own name (its version in
     * force) do not count.
     */
    public @Nullable ClaimConflict conflict(Operator operator) {
        requireNonNull(operator, "operator");
        String name = operator.name();
        for (String host : operator.hosts()) {
            ClaimConflict c = hostConflict(name, host);
            if (c != null) {
                return c;
            }
        }
        WireGuardPeer wg = operator.wireguard();
        if (wg != null) {
            String owner = keys.get(wg.publicKey());
            if (owner != null && !owner.equals(name)) {
                String key = wg.publicKey().toBase64();
                return new ClaimConflict(ClaimConflict.Kind.PUBLIC_KEY, name, key, owner, key);
            }
            owner = addresses.get(wg.address());
            if (owner != null && !owner.equals(name)) {
                String address = OperatorsFile.address(wg.address());
                return new ClaimConflict(ClaimConflict.Kind.ADDRESS, name, address, owner, address);
            }
        }
        return null;
    }

    /** Records every claim of {@code operator} (which must not conflict: see {@link #conflict}). */
    public void add(Operator operator) {
        requireNonNull(operator, "operator");
        for (String host : operator.hosts()) {
            addHost(operator.name(), host);
        }
        WireGuardPeer wg = operator.wireguard();
        if (wg != null) {
            addKey(operator.name(), wg.publicKey());
            addAddress(operator.name(), wg.address());
        }
    }

    /** Forgets the claims {@code operator} holds (a claim held by another operator stays). */
    public void remove(Operator operator) {
        requireNonNull(operator, "operator");
        String name = operator.name();
        for (String host : operator.hosts()) {
            if (hosts.remove(host, name) && HostPattern.isWildcard(host)) {
                wildcards.remove(host.substring(2), name);
            }
        }
        WireGuardPeer wg = operator.wireguard();
        if (wg != null) {
            keys.remove(wg.publicKey(), name);
            addresses.remove(wg.address(), name);
        }
    }

    void addHost(String owner, String pattern) {
        if (hosts.putIfAbsent(pattern, owner) == null && HostPattern.isWildcard(pattern)) {
            wildcards.put(pattern.substring(2), owner);
        }
    }

    void addKey(String owner, WireGuardKey key) {
        keys.putIfAbsent(key, owner);
    }

    void addAddress(String owner, InetAddress address) {
        addresses.putIfAbsent(address, owner);
    }

    private static ClaimConflict host(String operator, String pattern, String owner, String ownerPattern) {
        return new ClaimConflict(ClaimConflict.Kind.HOST, operator, pattern, owner, ownerPattern);
    }

    /** Whether {@code pattern} lies strictly below {@code name} ({@code a.x} and {@code *.x} are below {@code x}). */
    static boolean isBelow(String pattern, String name) {
        int offset = pattern.length() - name.length() - 1;
        return offset > 0 && pattern.charAt(offset) == '.' && pattern.startsWith(name, offset + 1);
    }

    /**
     * Orders names as their characters read from the right, with '.' before every other
     * character: {@code com < xample.com < example.com < *.example.com < a.example.com <
     * b.a.example.com < b.example.com < aexample.com}. A name comes right before the names below
     * it (they extend its reversed form after a '.', which sorts first), so those form one range.
     * No label splitting: one pass from the end, as long as the common suffix.
     */
    static int compareFromTheRight(String a, String b) {
        int i = a.length() - 1;
        int j = b.length() - 1;
        for (; i >= 0 && j >= 0; i--, j--) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (x != y) {
                return x == '.' ? -1 : y == '.' ? 1 : x - y;
            }
        }
        return Integer.compare(i, j);
    }
}
