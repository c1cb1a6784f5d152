package co.airdress.relay.tunnel;

import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * Which peer a receiver index belongs to when this device did not issue it: another device of the
 * network did, and told (the relay answers from the attachments every PoP keeps). A transport
 * message carrying such an index is the peer talking to a session held elsewhere, and the engine
 * may initiate a handshake to it at once ({@link Reattachment}).
 *
 * <p>Called on the engine's owner thread for every transport message with an unknown index: it
 * must answer from memory, never block, never allocate.
 */
public interface IndexResolver {

    /** Resolves nothing: unknown indexes are dropped, as plain WireGuard does. */
    IndexResolver NONE = index -> null;

    /** The static key of the peer that {@code index} was issued to elsewhere, or null. */
    @Nullable
    WireGuardKey resolve(int index);

    /**
     * Whether {@code source} is the endpoint at which the device that issued {@code index} last saw
     * its peer. Such a message is most likely the peer itself, whose anycast route moved: it gets a
     * rate limit of its own, so that strangers replaying the index cannot use up the peer's.
     */
    default boolean lastSeenAt(int index, InetSocketAddress source) {
        return false;
    }
}
