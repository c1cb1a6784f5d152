package co.airdress.relay.tunnel.ratelimit;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-source token bucket for handshake messages, as wireguard-go's ratelimiter: 20 per second
 * with a burst of 5. Applied only while the device is under load. A source is an IPv4 address or
 * an IPv6 prefix ({@link SourcePrefix}, /64 by default), so the addresses of one /64 share one
 * bucket.
 *
 * <p>The table is bounded. Entries idle for a second are collected; when it is full of live
 * entries, a new source takes the place of the one heard from least recently, whose bucket is
 * dropped (it starts with a fresh one if it comes back). So a new source is never refused for want
 * of room, whoever filled the table: what a source is refused for is its own rate.
 *
 * <p>A known source's message allocates nothing given its raw address (the lookup key is reused);
 * a new one allocates one map entry once the table is full (the evicted entry's key and bucket are
 * reused).
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
    private final SourcePrefix prefix;
    /** In access order: the first entry is the source heard from least recently. */
    private final LinkedHashMap<SourcePrefix.Key, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true);

    private final SourcePrefix.Key probe = new SourcePrefix.Key();
    private long lastGc;
    private long evictions;

    /** IPv6 sources by /64. */
    public HandshakeRateLimiter(int maxEntries) {
        this(maxEntries, new SourcePrefix(SourcePrefix.DEFAULT_IPV6_LENGTH));
    }

    public HandshakeRateLimiter(int maxEntries, SourcePrefix prefix) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 1)");
        }
        this.maxEntries = maxEntries;
        this.prefix = prefix;
    }

    public boolean allow(InetAddress source, long nowNanos) {
        return allow(source.getAddress(), nowNanos);
    }

    /** As {@link #allow(InetAddress, long)} for the raw address (4 or 16 bytes). */
    public boolean allow(byte[] source, long nowNanos) {
        if (nowNanos - lastGc > GC_INTERVAL) {
            collect(nowNanos);
        }
        Bucket bucket = buckets.get(prefix.keyOf(source, probe));
        if (bucket == null) {
            insert(nowNanos);
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

    /** A new source (the probe's key) with its first packet taken from a full bucket. */
    private void insert(long nowNanos) {
        SourcePrefix.Key key;
        Bucket bucket;
        if (buckets.size() >= maxEntries) {
            Iterator<Map.Entry<SourcePrefix.Key, Bucket>> eldest =
                    buckets.entrySet().iterator();
            Map.Entry<SourcePrefix.Key, Bucket> e = eldest.next();
            key = e.getKey();
            bucket = e.getValue();
            eldest.remove();
            evictions++;
            key.set(probe);
        } else {
            key = probe.copy();
            bucket = new Bucket();
        }
        bucket.lastTime = nowNanos;
        bucket.tokens = MAX_TOKENS - PACKET_COST;
        buckets.put(key, bucket);
    }

    /** Drops the entries idle for over a second: the first ones in access order. */
    private void collect(long nowNanos) {
        lastGc = nowNanos;
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().lastTime <= GC_INTERVAL) {
                return;
            }
            it.remove();
        }
    }

    public int size() {
        return buckets.size();
    }

    /** Sources dropped from a full table to make room for new ones, since creation. */
    public long evictions() {
        return evictions;
    }
}
