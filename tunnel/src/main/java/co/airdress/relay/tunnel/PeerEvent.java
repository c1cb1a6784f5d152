package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;

/**
 * What happened to a peer's session, for subscribers outside the packet path (the relay publishes
 * attachments from them). The engine publishes them on its owner thread through a
 * {@link PeerEvent.Listener}; the device hands them to its subscribers from a bounded queue on a
 * thread of its own.
 */
public sealed interface PeerEvent {

    /** The peer's static public key. */
    WireGuardKey peer();

    /** Wall time of the event. */
    Instant at();

    /**
     * A handshake completed: as initiator when the response was consumed, as responder when the
     * initiator's first transport message confirmed the session.
     *
     * @param localIndexes the receiver indexes this device issued that the peer may now send to,
     *     newest first (the new session's, then the previous one's while it lasts)
     * @param endpoint the peer's outer address, as the handshake came from it
     */
    record HandshakeCompleted(WireGuardKey peer, List<Integer> localIndexes, InetSocketAddress endpoint, Instant at)
            implements PeerEvent {
        public HandshakeCompleted {
            requireNonNull(peer, "peer");
            localIndexes = List.copyOf(requireNonNull(localIndexes, "localIndexes"));
            requireNonNull(endpoint, "endpoint");
            requireNonNull(at, "at");
        }
    }

    /** The peer's state is gone: its sessions and indexes are forgotten. */
    record Ended(WireGuardKey peer, Reason reason, Instant at) implements PeerEvent {
        public Ended {
            requireNonNull(peer, "peer");
            requireNonNull(reason, "reason");
            requireNonNull(at, "at");
        }
    }

    /** Why a peer's state ended. */
    enum Reason {
        /** Idle beyond the bound after its session expired (a peer created just in time). */
        IDLE,
        /** Removed: no longer known (the operator left the directory or changed its key). */
        REMOVED
    }

    /** Receives events on the engine's owner thread: must return at once (queue, never block). */
    @FunctionalInterface
    interface Listener {
        Listener NONE = event -> {};

        void onPeerEvent(PeerEvent event);
    }
}
