package co.airdress.relay.tunnel;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one peer, like a line of {@code wg show}.
 *
 * @param lastHandshake wall time of the last completed handshake, null if none yet
 * @param rxBytes bytes of authenticated WireGuard datagrams received (as {@code wg show})
 * @param txBytes bytes of WireGuard datagrams sent
 * @param handshakes completed handshakes
 * @param drops drops attributed to this peer, by reason (absent = 0)
 * @param latestInitiation the TAI64N timestamp (12 bytes) of the latest initiation accepted from
 *     the peer, or restored with {@link WireGuardEngine#raiseReplayFloor}: initiations not newer
 *     are refused as replayed; null when there is none
 */
public record PeerStats(
        WireGuardKey publicKey,
        @Nullable InetSocketAddress endpoint,
        @Nullable Instant lastHandshake,
        long rxBytes,
        long txBytes,
        long handshakes,
        boolean liveSession,
        Map<Drop, Long> drops,
        byte @Nullable [] latestInitiation) {}
