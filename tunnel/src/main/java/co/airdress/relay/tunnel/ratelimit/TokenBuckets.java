package co.airdress.relay.tunnel.ratelimit;

import static java.util.Objects.requireNonNull;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded table of token buckets, one per key: {@code perSecond} tokens a second up to
 * {@code burst}; a key not seen yet starts with a full bucket. When the table is full, a new key
 * takes the place of the key used least recently (so filling the table refuses no one; what a key
 * is refused for is its own rate), and keys idle long enough to have refilled leave.
 *
 * <p>Time is the caller's monotonic {@code nowNanos}. Not thread-safe: owned by one thread.
 *
 * @param <K> the key; it must have value equality and must not change once used
 */
public final class TokenBuckets<K> {

    private static final class Bucket {
        long lastTime;
        long tokens;
    }

    private final int maxEntries;
    private final long cost;
    private final long maxTokens;
    private final LinkedHashMap<K, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true);
    private long lastCollect;

    public TokenBuckets(double perSecond, int burst, int maxEntries) {
        if (!(perSecond > 0) || perSecond > 1e9) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: > 0 and <= 1e9)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 1)");
        }
        this.cost = (long) (1_000_000_000L / perSecond);
        this.maxTokens = cost * burst;
        this.maxEntries = maxEntries;
    }

    /** Takes a token for {@code key} if it has one. */
    public boolean allow(K key, long nowNanos) {
        requireNonNull(key, "key");
        if (nowNanos - lastCollect > maxTokens) {
            collect(nowNanos);
        }
        Bucket bucket = buckets.get(key);
        if (bucket == null) {
            if (buckets.size() >= maxEntries) {
                Iterator<Map.Entry<K, Bucket>> eldest = buckets.entrySet().iterator();
                bucket = eldest.next().getValue();
                eldest.remove();
            } else {
                bucket = new Bucket();
            }
            bucket.lastTime = nowNanos;
            bucket.tokens = maxTokens - cost;
            buckets.put(key, bucket);
            return true;
        }
        bucket.tokens = Math.min(maxTokens, bucket.tokens + Math.max(0, nowNanos - bucket.lastTime));
        bucket.lastTime = nowNanos;
        if (bucket.tokens >= cost) {
            bucket.tokens -= cost;
            return true;
        }
        return false;
    }

    /** Drops the keys idle long enough to be full again: the first ones in access order. */
    private void collect(long nowNanos) {
        lastCollect = nowNanos;
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().lastTime <= maxTokens) {
                return;
            }
            it.remove();
        }
    }

    public int size() {
        return buckets.size();
    }
}
