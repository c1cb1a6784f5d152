package co.airdress.relay.listen;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Counts something per client source (open connections, connections still peeking) against a
 * limit. A source is an IPv4 address or an IPv6 prefix ({@link SourcePrefix}, {@code
 * limits.ipv6_prefix}, /64 by default): the addresses of one /64 share one count.
 *
 * <p>Entries vanish at zero, so the map holds only sources with something open: it is bounded by
 * what is counted, itself bounded by {@code limits.max_connections}. A full table is therefore
 * not a case: every admitted connection has its entry, and a new source is refused only by its
 * own count or by the global limit.
 *
 * <p>Thread-safe. Counting a source that already has an entry allocates nothing (its key is
 * computed into a per-thread probe); a new source allocates its entry once.
 */
public final class AddressCounter {

    /** A source's count; {@link #acquire} hands it out and {@link #release} takes it back. */
    public static final class Slot {
        private final SourcePrefix.Key key;
        /** The count; -1 once the slot has left the map (then a new one is made). */
        private final AtomicInteger count = new AtomicInteger();

        private Slot(SourcePrefix.Key key) {
            this.key = key;
        }
    }

    private static final FastThreadLocal<SourcePrefix.Key> PROBE = new FastThreadLocal<>() {
        @Override
        protected SourcePrefix.Key initialValue() {
            return new SourcePrefix.Key();
        }
    };

    private final ConcurrentHashMap<SourcePrefix.Key, Slot> counts = new ConcurrentHashMap<>();
    private final int limit;
    private final SourcePrefix prefix;

    /** IPv6 sources counted by /64. */
    public AddressCounter(int limit) {
        this(limit, new SourcePrefix(SourcePrefix.DEFAULT_IPV6_LENGTH));
    }

    public AddressCounter(int limit, SourcePrefix prefix) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
        }
        this.limit = limit;
        this.prefix = requireNonNull(prefix, "prefix");
    }

    /** Counts one more for {@code address}'s source and returns its slot, unless it is at the limit (null). */
    public @Nullable Slot acquire(InetAddress address) {
        SourcePrefix.Key probe = prefix.keyOf(address, PROBE.get());
        while (true) {
            Slot slot = counts.get(probe);
            if (slot == null) {
                Slot fresh = new Slot(probe.copy());
                slot = counts.putIfAbsent(fresh.key, fresh);
                if (slot == null) {
                    slot = fresh;
                }
            }
            int n = slot.count.get();
            while (n >= 0) {
                if (n >= limit) {
                    return null;
                }
                if (slot.count.compareAndSet(n, n + 1)) {
                    return slot;
                }
                n = slot.count.get();
            }
            // The slot left the map between our lookup and now: look again.
        }
    }

    /** Takes back one count of {@code slot}'s source; the entry goes when it reaches zero. */
    public void release(Slot slot) {
        if (slot.count.decrementAndGet() == 0 && slot.count.compareAndSet(0, -1)) {
            counts.remove(slot.key, slot);
        }
    }

    /** What is counted for {@code address}'s source. */
    public int count(InetAddress address) {
        Slot slot = counts.get(prefix.keyOf(address));
        return slot == null ? 0 : Math.max(0, slot.count.get());
    }

    /** Sources with something counted. */
    public int sources() {
        return counts.size();
    }
}
