package co.airdress.relay.tunnel.replay;

/**
 * RFC 6479 sliding window over transport counters (wireguard-go {@code replay.Filter}): a ring of
 * 128 64-bit blocks, so 8128 counters behind the highest one seen are tracked. Counters are
 * unsigned 64-bit. Call {@link #accept} only after the packet authenticated: it commits the counter.
 *
 * <p>Not thread-safe.
 */
public final class ReplayWindow {

    private static final int BLOCK_BIT_LOG = 6;
    private static final int BLOCK_BITS = 1 << BLOCK_BIT_LOG;
    private static final int RING_BLOCKS = 1 << 7;
    public static final int WINDOW_SIZE = (RING_BLOCKS - 1) * BLOCK_BITS;
    /** WireGuard's REJECT_AFTER_MESSAGES: 2^64 - 2^13 - 1, as an unsigned long. */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;

    private final long limit;
    private long last;
    private final long[] ring = new long[RING_BLOCKS];

    public ReplayWindow() {
        this(REJECT_AFTER_MESSAGES);
    }

    /** {@code limit}: counters at or above it (unsigned) are always rejected. */
    public ReplayWindow(long limit) {
        this.limit = limit;
    }

    public void reset() {
        last = 0;
        ring[0] = 0;
    }

    /** True when {@code counter} is new and inside the window; it is then marked as seen. */
    public boolean accept(long counter) {
        if (Long.compareUnsigned(counter, limit) >= 0) {
            return false;
        }
        long indexBlock = counter >>> BLOCK_BIT_LOG;
        if (Long.compareUnsigned(counter, last) > 0) {
            long current = last >>> BLOCK_BIT_LOG;
            long diff = indexBlock - current;
            if (Long.compareUnsigned(diff, RING_BLOCKS) > 0) {
                diff = RING_BLOCKS;
            }
            for (long k = 1; k <= diff; k++) {
                ring[(int) ((current + k) & (RING_BLOCKS - 1))] = 0;
            }
            last = counter;
        } else if (Long.compareUnsigned(last - counter, WINDOW_SIZE) > 0) {
            return false;
        }
        int block = (int) (indexBlock & (RING_BLOCKS - 1));
        long bit = 1L << (counter & (BLOCK_BITS - 1));
        long old = ring[block];
        ring[block] = old | bit;
        return (old & bit) == 0;
    }
}
