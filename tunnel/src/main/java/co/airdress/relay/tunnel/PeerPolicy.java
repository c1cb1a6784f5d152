package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a {@link WireGuardEngine} keeps peers it creates just in time (from its {@link PeerLookup})
 * and whether it re-attaches peers whose sessions are held elsewhere ({@link IndexResolver}).
 *
 * @param maxActivePeers at most this many peers created just in time exist at once; a handshake
 *     from a further one is refused ({@link Drop#PEER_LIMIT}) until one is evicted
 * @param idleTimeout a peer created just in time is evicted once nothing authenticated went either
 *     way for this long and it has no session that may still send (its keys then expired); the
 *     next handshake creates it again
 * @param reattach whether a transport message with a receiver index this device never issued, but
 *     that the {@link IndexResolver} knows, makes the device initiate a handshake to its source
 */
public record PeerPolicy(int maxActivePeers, Duration idleTimeout, boolean reattach) {

    public static final int DEFAULT_MAX_ACTIVE_PEERS = 10_000;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final PeerPolicy DEFAULT = new PeerPolicy(DEFAULT_MAX_ACTIVE_PEERS, DEFAULT_IDLE_TIMEOUT, true);

    public PeerPolicy {
        requireNonNull(idleTimeout, "idleTimeout");
        if (maxActivePeers < 1) {
            throw new IllegalArgumentException("maxActivePeers: " + maxActivePeers + " (expected: >= 1)");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
        }
    }

    public PeerPolicy withReattach(boolean enabled) {
        return new PeerPolicy(maxActivePeers, idleTimeout, enabled);
    }
}
