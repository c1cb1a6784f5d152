package co.airdress.relay.listen;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts something per client address (open connections, connections still peeking) against a
 * limit. Entries vanish at zero, so the map holds only addresses with something open.
 */
public final class AddressCounter {

    private final ConcurrentHashMap<InetAddress, Integer> counts = new ConcurrentHashMap<>();
    private final int limit;

    public AddressCounter(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
        }
        this.limit = limit;
    }

    /** Counts one more for {@code address}, unless it is at the limit. */
    public boolean tryAcquire(InetAddress address) {
        boolean[] acquired = new boolean[1];
        counts.compute(address, (a, n) -> {
            int current = n == null ? 0 : n;
            if (current >= limit) {
                return n;
            }
            acquired[0] = true;
            return current + 1;
        });
        return acquired[0];
    }

    public void release(InetAddress address) {
        counts.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    public int count(InetAddress address) {
        return counts.getOrDefault(address, 0);
    }

    /** Addresses with something counted. */
    public int addresses() {
        return counts.size();
    }
}
