package co.airdress.relay.tunnel;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link WireGuardEngine} call puts its results. Called synchronously from within
 * {@code decapsulate}, {@code encapsulate}, {@code tick} and {@code initiateHandshake}, on the
 * caller's thread. Buffers handed over belong to the sink, which must write or release them.
 */
public interface TunnelSink {

    /** Send {@code datagram} (a complete WireGuard message) over UDP to {@code endpoint}. Takes ownership. */
    void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram);

    /**
     * As {@link #sendDatagram(InetSocketAddress, ByteBuf)}, out of the socket {@code socket} (as
     * numbered in {@link WireGuardEngine#decapsulate(InetSocketAddress, int, ByteBuf, long, TunnelSink)}):
     * the one the peer's packets last came in on, so that the reply leaves from the address it sent
     * to; -1 when none is known (the sink picks one). Takes ownership.
     */
    default void sendDatagram(int socket, InetSocketAddress endpoint, ByteBuf datagram) {
        sendDatagram(endpoint, datagram);
    }

    /** Write {@code ipPacket} (decrypted, padding removed, checked) to the TUN device. Takes ownership. */
    void deliverToTun(WireGuardKey peer, ByteBuf ipPacket);

    /** A datagram or packet was discarded; already counted in the engine's stats. */
    default void dropped(Drop reason, @Nullable WireGuardKey peer) {}
}
