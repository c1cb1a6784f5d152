package co.airdress.relay.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * The send path to one peer (wireguard-go {@code send.go}): seal a packet under the current
 * keypair, or queue it (copied, bounded, oldest dropped first) while a handshake is made and send
 * the queue in order once a keypair may send; keepalives go through the same queue. Owner thread
 * only.
 */
final class Outbound {

    private final Handshakes handshakes;
    private final Drops drops;
    private final ByteBufAllocator alloc;
    private final int mtu;
    private final int maxQueued;

    Outbound(Handshakes handshakes, Drops drops, TunnelConfig config) {
        this.handshakes = handshakes;
        this.drops = drops;
        this.alloc = config.allocator();
        this.mtu = config.mtu();
        this.maxQueued = config.maxQueuedPacketsPerPeer();
    }

    /** Sends or queues {@code ipPacket} (borrowed) to {@code peer}. */
    void send(PeerSession peer, ByteBuf ipPacket, long now, TunnelSink out) {
        Keypair keypair = handshakes.sendable(peer, now);
        if (keypair != null && peer.staged.isEmpty()) {
            sendTransport(peer, keypair, ipPacket, now, out);
            handshakes.keepFreshSending(peer, now, out);
            return;
        }
        if (peer.endpoint == null) {
            drops.count(out, Drop.NO_ENDPOINT, peer);
            return;
        }
        stage(peer, ipPacket, out);
        flushStaged(peer, now, out);
    }

    /** An empty transport message, queued behind anything staged so it goes out in order. */
    void sendKeepalive(PeerSession peer, long now, TunnelSink out) {
        if (peer.staged.isEmpty()) {
            peer.staged.add(Unpooled.EMPTY_BUFFER);
        }
        flushStaged(peer, now, out);
    }

    /**
     * Sends what is queued while a keypair may send, checking it before every packet (a keypair
     * stops at REJECT_AFTER_MESSAGES mid-queue as anywhere else); what is left stays queued and a
     * handshake is initiated.
     */
    void flushStaged(PeerSession peer, long now, TunnelSink out) {
        if (peer.staged.isEmpty()) {
            return;
        }
        Keypair keypair;
        while ((keypair = handshakes.sendable(peer, now)) != null) {
            ByteBuf packet = peer.staged.poll();
            if (packet == null) {
                handshakes.keepFreshSending(peer, now, out);
                return;
            }
            try {
                sendTransport(peer, keypair, packet, now, out);
            } finally {
                packet.release();
            }
        }
        handshakes.initiate(peer, false, now, out);
    }

    /** Discards the queue; with a sink each packet counts as {@link Drop#HANDSHAKE_GAVE_UP}. */
    void releaseStaged(PeerSession peer, @Nullable TunnelSink out) {
        ByteBuf packet;
        while ((packet = peer.staged.poll()) != null) {
            packet.release();
            if (out != null) {
                drops.count(out, Drop.HANDSHAKE_GAVE_UP, peer);
            }
        }
    }

    private void stage(PeerSession peer, ByteBuf ipPacket, TunnelSink out) {
        if (maxQueued == 0) {
            drops.count(out, Drop.QUEUE_FULL, peer);
            return;
        }
        while (peer.staged.size() >= maxQueued) {
            peer.staged.poll().release();
            drops.count(out, Drop.QUEUE_FULL, peer);
        }
        ByteBuf copy = alloc.buffer(ipPacket.readableBytes());
        copy.writeBytes(ipPacket, ipPacket.readerIndex(), ipPacket.readableBytes());
        peer.staged.add(copy);
    }

    private void sendTransport(PeerSession peer, Keypair keypair, ByteBuf plaintext, long now, TunnelSink out) {
        InetSocketAddress endpoint = peer.endpoint;
        if (endpoint == null) {
            drops.count(out, Drop.NO_ENDPOINT, peer);
            return;
        }
        boolean data = plaintext.isReadable();
        ByteBuf datagram = keypair.seal(plaintext, mtu, alloc);
        peer.authenticatedSent(now);
        if (data) {
            peer.dataSent(now);
        }
        peer.send(endpoint, datagram, out);
    }
}
