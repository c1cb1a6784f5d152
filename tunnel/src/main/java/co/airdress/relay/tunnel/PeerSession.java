package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.timers.PeerTimers;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * Everything the tunnel keeps for one peer: handshake, keypairs (previous / current / next),
 * timers, cookie state, the bounded queue of packets awaiting a session, and stats.
 *
 * <p>Mutated only by the tunnel's owner thread. The {@code volatile} fields and the drop counters
 * are also read by other threads (fail-fast checks and stats), never written by them.
 */
final class PeerSession {

    final WireGuardKey publicKey;
    final Handshake handshake;
    final CookieGenerator cookies;
    final PeerTimers timers;
    final ArrayDeque<ByteBuf> staged = new ArrayDeque<>();

    volatile PeerConfig config;
    RawPrefix[] allowed;

    @Nullable
    Keypair previous;

    @Nullable
    Keypair current;

    @Nullable
    Keypair next;

    /** The local index of the in-flight handshake while it is registered in the index table. */
    int handshakeIndex;

    boolean handshakeIndexed;
    boolean sentHandshake;
    long lastSentHandshakeNanos;
    boolean sentLastMinuteHandshake;

    volatile @Nullable InetSocketAddress endpoint;
    volatile @Nullable Instant lastHandshake;
    /** Creation time of {@link #current}, valid when {@link #hasCurrent}. */
    volatile long currentCreatedNanos;

    volatile boolean hasCurrent;
    volatile boolean gaveUp;
    /** Set when data is sent with nothing authenticated received since: when the wait began. */
    volatile boolean awaitingReply;

    volatile long awaitingReplySinceNanos;
    volatile long rxBytes;
    volatile long txBytes;
    volatile long handshakes;
    final AtomicLongArray drops = new AtomicLongArray(Drop.values().length);

    PeerSession(PeerConfig config, Handshake handshake, CookieGenerator cookies, PeerTimers timers) {
        this.publicKey = config.publicKey();
        this.handshake = handshake;
        this.cookies = cookies;
        this.timers = timers;
        this.config = config;
        this.allowed = config.allowedIps().stream().map(RawPrefix::new).toArray(RawPrefix[]::new);
        this.endpoint = config.endpoint();
    }

    void setCurrent(@Nullable Keypair keypair) {
        current = keypair;
        if (keypair != null) {
            currentCreatedNanos = keypair.createdNanos;
        }
        hasCurrent = keypair != null;
    }

    boolean allows(byte[] raw) {
        for (RawPrefix prefix : allowed) {
            if (prefix.contains(raw)) {
                return true;
            }
        }
        return false;
    }

    PeerStats snapshot(boolean live) {
        Map<Drop, Long> byReason = new EnumMap<>(Drop.class);
        for (Drop drop : Drop.values()) {
            long n = drops.get(drop.ordinal());
            if (n != 0) {
                byReason.put(drop, n);
            }
        }
        return new PeerStats(
                publicKey, endpoint, lastHandshake, rxBytes, txBytes, handshakes, live, Map.copyOf(byReason));
    }
}
