package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.ratelimit.TokenBuckets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The re-attachment fast path's gate: a transport message whose receiver index this device never
 * issued is resolved ({@link IndexResolver}) to the peer it was issued to elsewhere, and an
 * initiation to its source is allowed only within two token buckets, one per peer key
 * ({@value #PER_PEER_PER_SECOND} a second, burst {@value #PER_PEER_BURST}) and one per source
 * address ({@value #PER_SOURCE_PER_SECOND} a second, burst {@value #PER_SOURCE_BURST}). The
 * message cannot be authenticated here (no keys), so a spoofed one could otherwise turn the
 * device into a reflector: an initiation (148 bytes) is larger than the smallest transport
 * message (32 bytes). The handshake that follows authenticates the peer.
 *
 * <p>A message from the endpoint where the issuing device last saw the peer ({@link
 * IndexResolver#lastSeenAt}) draws on a second bucket per peer, of the same size: a stranger who
 * learned the index and floods it from elsewhere empties only the first, and the peer itself is
 * still re-attached at once.
 *
 * <p>Owner thread only; the counters may be read from any thread.
 */
final class Reattachment {

    static final double PER_PEER_PER_SECOND = 1;
    static final int PER_PEER_BURST = 2;
    static final double PER_SOURCE_PER_SECOND = 10;
    static final int PER_SOURCE_BURST = 10;
    private static final int MAX_TRACKED = 65_536;

    private volatile IndexResolver resolver = IndexResolver.NONE;
    private volatile boolean enabled;
    private final TokenBuckets<WireGuardKey> perPeer =
            new TokenBuckets<>(PER_PEER_PER_SECOND, PER_PEER_BURST, MAX_TRACKED);
    private final TokenBuckets<WireGuardKey> perPeerLastSeen =
            new TokenBuckets<>(PER_PEER_PER_SECOND, PER_PEER_BURST, MAX_TRACKED);
    private final TokenBuckets<InetAddress> perSource =
            new TokenBuckets<>(PER_SOURCE_PER_SECOND, PER_SOURCE_BURST, MAX_TRACKED);

    final AtomicLong triggered = new AtomicLong();
    final AtomicLong limited = new AtomicLong();
    final AtomicLong unresolved = new AtomicLong();

    Reattachment(boolean enabled) {
        this.enabled = enabled;
    }

    void resolver(IndexResolver resolver) {
        this.resolver = resolver;
    }

    void enabled(boolean on) {
        this.enabled = on;
    }

    /** The key to initiate to for a message to {@code index} from {@code source}, or null (counted). */
    @Nullable
    WireGuardKey admit(int index, InetSocketAddress source, long now) {
        if (!enabled) {
            return null;
        }
        WireGuardKey key = resolver.resolve(index);
        if (key == null) {
            unresolved.lazySet(unresolved.get() + 1);
            return null;
        }
        TokenBuckets<WireGuardKey> peerBucket = resolver.lastSeenAt(index, source) ? perPeerLastSeen : perPeer;
        if (!perSource.allow(source.getAddress(), now) || !peerBucket.allow(key, now)) {
            limited.lazySet(limited.get() + 1);
            return null;
        }
        return key;
    }

    void countTriggered() {
        triggered.lazySet(triggered.get() + 1);
    }

    void countUnresolved() {
        unresolved.lazySet(unresolved.get() + 1);
    }
}
