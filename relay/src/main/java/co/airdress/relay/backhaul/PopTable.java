package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The other PoPs of the network as their announcements describe them: where each one's backhaul
 * listener is, which source addresses are mesh peers, and the mesh's WireGuard peers. Written by
 * one thread (the announcements' reader) with {@link #apply}; read from any thread without locks
 * (an immutable view replaced at each change). At most {@code maxPops} PoPs, this one included.
 */
public final class PopTable {

    /** Keepalive on mesh peers: keeps NAT and stateful firewalls on the underlay open. */
    static final Duration KEEPALIVE = Duration.ofSeconds(25);

    /** What {@link #apply} did with a record. */
    public enum Change {
        ADDED,
        UPDATED,
        UNCHANGED,
        REMOVED,
        /** This PoP's own announcement: not a peer. */
        SELF,
        /** A new PoP beyond {@code max_pops}: refused. */
        FULL,
        /** Not a valid announcement: ignored (the PoP it named, if known, stays as it was). */
        INVALID
    }

    private record View(Map<String, PopAnnouncement> pops, Set<InetAddress> peerAddresses) {}

    private final String self;
    private final int maxPops;
    private volatile View view = new View(Map.of(), Set.of());

    public PopTable(String self, int maxPops) {
        this.self = requireNonNull(self, "self");
        if (maxPops < 1) {
            throw new IllegalArgumentException("maxPops: " + maxPops + " (expected: at least 1)");
        }
        this.maxPops = maxPops;
    }

    /** Applies the record with key {@code pop} and value {@code json} (null: a tombstone, the PoP left). */
    public Change apply(String pop, byte @Nullable [] json) {
        requireNonNull(pop, "pop");
        if (pop.equals(self)) {
            return Change.SELF;
        }
        Map<String, PopAnnouncement> pops = view.pops();
        if (json == null) {
            if (!pops.containsKey(pop)) {
                return Change.UNCHANGED;
            }
            Map<String, PopAnnouncement> next = new LinkedHashMap<>(pops);
            next.remove(pop);
            publish(next);
            return Change.REMOVED;
        }
        if (!(PopAnnouncement.parse(pop, json) instanceof PopAnnouncement.Parsed.Ok(PopAnnouncement a))) {
            return Change.INVALID;
        }
        return put(a);
    }

    /** Adds or replaces {@code a} (not this PoP's). */
    public Change put(PopAnnouncement a) {
        if (a.name().equals(self)) {
            return Change.SELF;
        }
        Map<String, PopAnnouncement> pops = view.pops();
        PopAnnouncement before = pops.get(a.name());
        if (a.equals(before)) {
            return Change.UNCHANGED;
        }
        // this PoP counts too
        if (before == null && pops.size() + 1 >= maxPops) {
            return Change.FULL;
        }
        Map<String, PopAnnouncement> next = new LinkedHashMap<>(pops);
        next.put(a.name(), a);
        publish(next);
        return before == null ? Change.ADDED : Change.UPDATED;
    }

    private void publish(Map<String, PopAnnouncement> pops) {
        Set<InetAddress> addresses = new HashSet<>();
        pops.values().forEach(p -> addresses.addAll(p.addresses()));
        // In the order the PoPs were announced (Map.copyOf's order changes from run to run).
        view = new View(Collections.unmodifiableMap(new LinkedHashMap<>(pops)), Set.copyOf(addresses));
    }

    /** The announcement of {@code pop}, or null when it is not (or no longer) in the mesh. */
    public @Nullable PopAnnouncement pop(String pop) {
        return view.pops().get(pop);
    }

    /**
     * The address to dial {@code pop}'s backhaul listener at: its mesh address of the first family
     * in {@code families} (this PoP's mesh addresses, in order) it has, or null.
     */
    public @Nullable InetAddress meshAddress(String pop, List<InetAddress> families) {
        PopAnnouncement a = view.pops().get(pop);
        if (a == null) {
            return null;
        }
        for (InetAddress own : families) {
            for (InetAddress theirs : a.addresses()) {
                if ((own instanceof Inet4Address) == (theirs instanceof Inet4Address)) {
                    return theirs;
                }
            }
        }
        return null;
    }

    /** Whether {@code address} is a mesh address of a PoP in the table. */
    public boolean isPeer(InetAddress address) {
        return view.peerAddresses().contains(address);
    }

    /** Which PoP has mesh address {@code address}, or null. */
    public @Nullable String popAt(InetAddress address) {
        for (PopAnnouncement a : view.pops().values()) {
            if (a.addresses().contains(address)) {
                return a.name();
            }
        }
        return null;
    }

    public int size() {
        return view.pops().size();
    }

    public List<PopAnnouncement> pops() {
        return List.copyOf(view.pops().values());
    }

    /** The mesh's WireGuard peers: one per PoP, its mesh addresses as allowed IPs, its endpoint. */
    public List<PeerConfig> peers() {
        List<PeerConfig> out = new ArrayList<>();
        for (PopAnnouncement a : view.pops().values()) {
            IpPrefix[] allowed = a.addresses().stream().map(IpPrefix::host).toArray(IpPrefix[]::new);
            out.add(PeerConfig.of(a.publicKey(), allowed)
                    .withEndpoint(a.endpoint())
                    .withPersistentKeepalive(KEEPALIVE));
        }
        return out;
    }
}
