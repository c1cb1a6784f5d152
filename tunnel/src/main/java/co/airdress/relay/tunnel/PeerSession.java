package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.timers.PeerTimers;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * Everything the engine keeps for one peer (wireguard-go {@code Peer}): its configuration,
 * handshake, keypairs (previous / current / next), timers, cookie state, the bounded queue of
 * packets awaiting a session, and stats; and what every authenticated packet does to them.
 *
 * <p>Mutated only by the engine's owner thread. The {@code volatile} fields and the drop counters
 * are also read by other threads (fail-fast checks and stats), never written by them.
 */
final class PeerSession {

    final WireGuardKey publicKey;
    final Handshake handshake;
    final CookieGenerator cookies;
    final PeerTimers timers;
    final ArrayDeque<ByteBuf> staged = new ArrayDeque<>();

    volatile PeerConfig config;

    /** Created just in time from the engine's {@link PeerLookup}: counted and evicted when idle. */
    final boolean justInTime;
    /** When something authenticated last went either way (or when the peer was created). */
    long lastActiveNanos;

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
    // Where that initiation went (Handshakes.initiateTo).
    @Nullable
    InetSocketAddress lastHandshakeEndpoint;

    boolean sentLastMinuteHandshake;

    volatile @Nullable InetSocketAddress endpoint;
    /** The socket {@link #endpoint}'s packets came in on; -1 when not known (configured or remembered). */
    volatile int endpointSocket = -1;

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
    /** The handshake's replay floor once it has one (a copy, never mutated); see {@link PeerStats}. */
    volatile byte @Nullable [] latestInitiation;

    final AtomicLongArray drops = new AtomicLongArray(Drop.values().length);

    PeerSession(
            PeerConfig config, Handshake handshake, CookieGenerator cookies, PeerTimers timers, boolean justInTime) {
        this.justInTime = justInTime;
        this.publicKey = config.publicKey();
        this.handshake = handshake;
        this.cookies = cookies;
        this.timers = timers;
        this.config = config;
        this.endpoint = config.endpoint();
    }

    /**
     * Takes a changed PSK, allowed IPs, endpoint (when non-null) and persistent keepalive; the
     * sessions stay.
     */
    void reconfigure(PeerConfig newConfig) {
        config = newConfig;
        handshake.setPresharedKey(
                newConfig.presharedKey() == null
                        ? null
                        : newConfig.presharedKey().unsafeBytes());
        if (newConfig.endpoint() != null) {
            endpoint = newConfig.endpoint();
            endpointSocket = -1;
        }
        timers.setPersistentKeepalive(newConfig.persistentKeepalive().toNanos());
    }

    // ---------------------------------------------------------------- per packet

    /**
     * An authenticated message arrived from {@code from} (a consumed initiation or response, or a
     * transport message that decrypted): roam to its source, count it, tell the timers, and stop
     * waiting for a reply.
     */
    void authenticatedReceived(InetSocketAddress from, int socket, int bytes, long now) {
        endpoint = from;
        endpointSocket = socket;
        lastActiveNanos = now;
        rxBytes += bytes;
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketReceived();
        if (awaitingReply) {
            awaitingReply = false;
        }
    }

    /** An authenticated message (handshake, data or keepalive) is going out now. */
    void authenticatedSent(long now) {
        lastActiveNanos = now;
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketSent();
    }

    /** A data packet went out: expect an answer, and remember since when. */
    void dataSent(long now) {
        timers.onDataSent(now);
        if (!awaitingReply) {
            awaitingReplySinceNanos = now;
            awaitingReply = true;
        }
    }

    /** Hands a datagram for this peer to the sink, counting its bytes. */
    void send(InetSocketAddress to, ByteBuf datagram, TunnelSink out) {
        send(to == endpoint ? endpointSocket : -1, to, datagram, out);
    }

    /** As {@link #send(InetSocketAddress, ByteBuf, TunnelSink)} out of socket {@code socket}. */
    void send(int socket, InetSocketAddress to, ByteBuf datagram, TunnelSink out) {
        txBytes += datagram.readableBytes();
        out.sendDatagram(socket, to, datagram);
    }

    /** Whether a decrypted packet's source address (4 or 16 raw bytes) is one of this peer's allowed IPs. */
    boolean allows(byte[] source) {
        List<IpPrefix> allowed = config.allowedIps();
        for (int i = 0, n = allowed.size(); i < n; i++) {
            if (allowed.get(i).contains(source)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- keypairs

    void setCurrent(@Nullable Keypair keypair) {
        current = keypair;
        if (keypair != null) {
            currentCreatedNanos = keypair.createdNanos;
        }
        hasCurrent = keypair != null;
    }

    // ---------------------------------------------------------------- any thread

    /**
     * A confirmed keypair younger than {@code rejectAfterNanos}, and no data unanswered for
     * {@code unansweredLimitNanos}.
     */
    boolean isLive(long nowNanos, long rejectAfterNanos, long unansweredLimitNanos) {
        return hasCurrent
                && nowNanos - currentCreatedNanos < rejectAfterNanos
                && !(awaitingReply && nowNanos - awaitingReplySinceNanos >= unansweredLimitNanos);
    }

    PeerStats snapshot(boolean live) {
        Map<Drop, Long> byReason = new EnumMap<>(Drop.class);
        for (Drop drop : Drop.values()) {
            long n = drops.get(drop.ordinal());
            if (n != 0) {
                byReason.put(drop, n);
            }
        }
        byte[] latest = latestInitiation;
        return new PeerStats(
                publicKey,
                endpoint,
                lastHandshake,
                rxBytes,
                txBytes,
                handshakes,
                live,
                Map.copyOf(byReason),
                latest == null ? null : latest.clone());
    }

    @Override
    public String toString() {
        return publicKey.toString();
    }
}
