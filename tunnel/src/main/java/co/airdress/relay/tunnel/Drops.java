package co.airdress.relay.tunnel;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * The engine's drop counters, device-wide and per peer: every discarded datagram or packet is
 * counted here once and reported to the sink. Written by the owner thread, read by any.
 */
final class Drops {

    private final AtomicLongArray device = new AtomicLongArray(Drop.values().length);

    /** Counts a drop for the device and, when known, for the peer, and tells the sink. */
    void count(TunnelSink out, Drop reason, @Nullable PeerSession peer) {
        device.incrementAndGet(reason.ordinal());
        if (peer != null) {
            peer.drops.incrementAndGet(reason.ordinal());
        }
        out.dropped(reason, peer == null ? null : peer.publicKey);
    }

    /** Device-wide counts by reason; reasons never counted are absent. */
    Map<Drop, Long> snapshot() {
        Map<Drop, Long> out = new EnumMap<>(Drop.class);
        for (Drop drop : Drop.values()) {
            long n = device.get(drop.ordinal());
            if (n != 0) {
                out.put(drop, n);
            }
        }
        return out;
    }
}
