package co.airdress.relay.tunnel.ratelimit;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Per-source-address token bucket for handshake messages, as wireguard-go's ratelimiter: 20 per
 * second with a burst of 5. Applied only while the device is under load. Entries idle for a second
 * are collected; the table is bounded and, when full of live entries, new sources are refused.
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class HandshakeRateLimiter {

    public static final int PACKETS_PER_SECOND = 20;
    public static final int PACKETS_BURSTABLE = 5;
    private static final long PACKET_COST = 1_000_000_000L / PACKETS_PER_SECOND;
    private static final long MAX_TOKENS = PACKET_COST * PACKETS_BURSTABLE;
    private static final long GC_INTERVAL = 1_000_000_000L;

    private static final class Bucket {
        long lastTime;
        long tokens;
    }

    private final int maxEntries;
    private final Map<InetAddress, Bucket> buckets = new HashMap<>();
    private long lastGc;

    public HandshakeRateLimiter(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    public boolean allow(InetAddress source, long nowNanos) {
        if (nowNanos - lastGc > GC_INTERVAL) {
            collect(nowNanos);
        }
        Bucket bucket = buckets.get(source);
        if (bucket == null) {
            if (buckets.size() >= maxEntries) {
                return false;
            }
            bucket = new Bucket();
            bucket.lastTime = nowNanos;
            bucket.tokens = MAX_TOKENS - PACKET_COST;
            buckets.put(source, bucket);
            return true;
        }
        bucket.tokens = Math.min(MAX_TOKENS, bucket.tokens + Math.max(0, nowNanos - bucket.lastTime));
        bucket.lastTime = nowNanos;
        if (bucket.tokens >= PACKET_COST) {
            bucket.tokens -= PACKET_COST;
            return true;
        }
        return false;
    }

    private void collect(long nowNanos) {
        lastGc = nowNanos;
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().lastTime > GC_INTERVAL) {
                it.remove();
            }
        }
    }

    public int size() {
        return buckets.size();
    }
}
