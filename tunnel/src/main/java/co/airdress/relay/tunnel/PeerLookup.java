package co.airdress.relay.tunnel;

import org.jspecify.annotations.Nullable;

/**
 * Where a {@link WireGuardEngine} finds a peer it does not hold yet: the relay answers from the
 * operator directory. The engine asks after the first step of Noise IK has recovered an
 * initiator's static key from an initiation (and when a re-attachment names a key), and creates
 * the peer's state only if the key is known here and the initiation then authenticates; so state
 * exists only for peers that handshook, never for the whole directory.
 *
 * <p>Called on the engine's owner thread, on the handshake path: it must answer from memory, never
 * block.
 */
public interface PeerLookup {

    /** Knows no one: only peers added explicitly exist. */
    PeerLookup NONE = key -> null;

    /** The settings of the peer with static key {@code key}, or null when the key is not known. */
    @Nullable
    PeerConfig find(WireGuardKey key);

    /**
     * The replay floor (a TAI64N timestamp, 12 bytes) to restore before the peer's first initiation
     * is accepted, or null: see {@link WireGuardEngine#raiseReplayFloor}.
     */
    default byte @Nullable [] replayFloor(WireGuardKey key) {
        return null;
    }
}
