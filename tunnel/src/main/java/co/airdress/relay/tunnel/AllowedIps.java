package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.index.IndexTable;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cryptokey routing, outbound: which peer an IP packet's destination belongs to (wireguard-go
 * {@code allowedips.go}). The relay gives every operator one /32 and/or /128, so host prefixes are
 * hashed (IPv4 by the address, IPv6 by its last 32 bits) for a lookup that neither allocates nor
 * copies; any other prefix is matched longest first.
 *
 * <p>A host prefix belongs to at most one owner: {@link #add} refuses one already routed to another.
 * Owners are compared by identity. Not thread-safe: owned by the engine's owner thread.
 *
 * @param <T> the owner of a prefix (the engine's peer)
 */
final class AllowedIps<T> {

    private record Route<T>(IpPrefix prefix, T owner) {}

    /** IPv4 host routes keyed by the address as an int. */
    private final IndexTable<T> v4Hosts = new IndexTable<>();
    /** IPv6 host routes keyed by the address's last 32 bits; colliding entries share an array. */
    private final IndexTable<Route<T>[]> v6Hosts = new IndexTable<>();
    /** Every other prefix, longest first. */
    private final List<Route<T>> others = new ArrayList<>();

    private final byte[] scratch4 = new byte[4];
    private final byte[] scratch16 = new byte[16];

    /**
     * Routes {@code prefixes} to {@code owner}.
     *
     * @throws IllegalArgumentException when a host prefix is routed to another owner (nothing changed)
     */
    void add(T owner, List<IpPrefix> prefixes) {
        checkFree(owner, prefixes);
        insert(owner, prefixes);
    }

    /** Replaces {@code owner}'s prefixes {@code before} by {@code after}; on a conflict nothing changes. */
    void replace(T owner, List<IpPrefix> before, List<IpPrefix> after) {
        checkFree(owner, after);
        remove(owner, before);
        insert(owner, after);
    }

    /** Removes {@code owner}'s routes for {@code prefixes}; routes of other owners stay. */
    void remove(T owner, List<IpPrefix> prefixes) {
        for (IpPrefix prefix : prefixes) {
            if (!prefix.isHost()) {
                continue;
            }
            int key = prefix.low32();
            if (!prefix.isIpv6()) {
                v4Hosts.remove(key, owner);
                continue;
            }
            Route<T>[] bucket = v6Hosts.get(key);
            if (bucket != null) {
                Route<T>[] kept =
                        Arrays.stream(bucket).filter(r -> r.owner() != owner).toArray(AllowedIps::newBucket);
                if (kept.length == 0) {
                    v6Hosts.remove(key, bucket);
                } else {
                    v6Hosts.replace(key, bucket, kept);
                }
            }
        }
        others.removeIf(r -> r.owner() == owner);
    }

    /** The owner of the packet's destination address, or null (no route, or not an IP header). */
    @Nullable
    T lookup(ByteBuf packet) {
        int start = packet.readerIndex();
        int available = packet.readableBytes();
        if (available < 1) {
            return null;
        }
        int version = (packet.getByte(start) & 0xff) >>> 4;
        if (version == 4 && available >= 20) {
            T host = v4Hosts.get(packet.getInt(start + 16));
            if (host != null) {
                return host;
            }
            packet.getBytes(start + 16, scratch4);
            return lookupOthers(scratch4);
        }
        if (version == 6 && available >= 40) {
            packet.getBytes(start + 24, scratch16);
            Route<T>[] bucket = v6Hosts.get(IpPrefix.low32(scratch16));
            if (bucket != null) {
                for (Route<T> route : bucket) {
                    if (route.prefix().contains(scratch16)) {
                        return route.owner();
                    }
                }
            }
            return lookupOthers(scratch16);
        }
        return null;
    }

    private @Nullable T lookupOthers(byte[] raw) {
        for (Route<T> route : others) {
            if (route.prefix().contains(raw)) {
                return route.owner();
            }
        }
        return null;
    }

    private void checkFree(T owner, List<IpPrefix> prefixes) {
        for (IpPrefix prefix : prefixes) {
            if (!prefix.isHost()) {
                continue;
            }
            T other = hostOwner(prefix, owner);
            if (other != null) {
                throw new IllegalArgumentException(
                        "allowed IP: " + prefix + " (expected: not already routed to " + other + ")");
            }
        }
    }

    /** The owner other than {@code self} that host prefix {@code prefix} is routed to, or null. */
    private @Nullable T hostOwner(IpPrefix prefix, T self) {
        if (!prefix.isIpv6()) {
            T owner = v4Hosts.get(prefix.low32());
            return owner == self ? null : owner;
        }
        Route<T>[] bucket = v6Hosts.get(prefix.low32());
        if (bucket == null) {
            return null;
        }
        T found = null;
        for (Route<T> route : bucket) {
            if (route.prefix().equals(prefix) && route.owner() != self) {
                found = route.owner();
            }
        }
        return found;
    }

    private void insert(T owner, List<IpPrefix> prefixes) {
        for (IpPrefix prefix : prefixes) {
            if (!prefix.isHost()) {
                others.add(new Route<>(prefix, owner));
                continue;
            }
            int key = prefix.low32();
            if (!prefix.isIpv6()) {
                v4Hosts.putIfAbsent(key, owner);
                continue;
            }
            Route<T>[] bucket = v6Hosts.get(key);
            Route<T> route = new Route<>(prefix, owner);
            if (bucket == null) {
                Route<T>[] first = newBucket(1);
                first[0] = route;
                v6Hosts.putIfAbsent(key, first);
            } else {
                Route<T>[] grown = Arrays.copyOf(bucket, bucket.length + 1);
                grown[bucket.length] = route;
                v6Hosts.replace(key, bucket, grown);
            }
        }
        others.sort(Comparator.comparingInt((Route<T> r) -> r.prefix().prefixLength())
                .reversed());
    }

    @SuppressWarnings("unchecked")
    private static <T> Route<T>[] newBucket(int length) {
        return (Route<T>[]) new Route<?>[length];
    }
}
