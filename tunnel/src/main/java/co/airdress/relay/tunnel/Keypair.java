package co.airdress.relay.tunnel;

import static co.airdress.relay.tunnel.noise.Messages.TRANSPORT_HEADER_LENGTH;
import static co.airdress.relay.tunnel.noise.Messages.TRANSPORT_MIN_LENGTH;
import static co.airdress.relay.tunnel.noise.Messages.TYPE_TRANSPORT;

import co.airdress.relay.tunnel.crypto.TransportCipher;
import co.airdress.relay.tunnel.noise.Handshake.SessionKeys;
import co.airdress.relay.tunnel.replay.ReplayWindow;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One transport session's keys and counters (wireguard-go {@code Keypair}), and the transport
 * message format they seal and open. Owner thread only.
 */
final class Keypair {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    final PeerSession peer;
    final TransportCipher sender;
    final TransportCipher receiver;
    final ReplayWindow replay = new ReplayWindow();
    final boolean initiator;
    final long createdNanos;
    final int localIndex;
    final int remoteIndex;
    /** Next counter to send; compared unsigned. */
    long sendCounter;

    Keypair(PeerSession peer, SessionKeys keys, long createdNanos) {
        this.peer = peer;
        this.sender = new TransportCipher(keys.sendKey(), true);
        this.receiver = new TransportCipher(keys.receiveKey(), false);
        Arrays.fill(keys.sendKey(), (byte) 0);
        Arrays.fill(keys.receiveKey(), (byte) 0);
        this.initiator = keys.initiator();
        this.createdNanos = createdNanos;
        this.localIndex = keys.localIndex();
        this.remoteIndex = keys.remoteIndex();
    }

    /**
     * A transport message carrying the readable bytes of {@code plaintext} (borrowed) padded to a
     * multiple of 16 within {@code mtu}, under the next send counter; the buffer comes from
     * {@code alloc}.
     */
    ByteBuf seal(ByteBuf plaintext, int mtu, ByteBufAllocator alloc) {
        if (sender.isDestroyed()) {
            throw new IllegalStateException("sealing under a forgotten keypair (expected: a live one)");
        }
        int length = plaintext.readableBytes();
        int padding = paddingFor(length, mtu);
        int total = TRANSPORT_HEADER_LENGTH + length + padding + 16;
        long counter = sendCounter++;
        ByteBuf datagram = alloc.buffer(total);
        datagram.writeIntLE(TYPE_TRANSPORT).writeIntLE(remoteIndex).writeLongLE(counter);
        ByteBuffer target = datagram.internalNioBuffer(TRANSPORT_HEADER_LENGTH, total - TRANSPORT_HEADER_LENGTH);
        ByteBuffer source = length == 0 ? EMPTY.duplicate() : view(plaintext, plaintext.readerIndex(), length);
        sender.seal(counter, source, padding, target);
        datagram.writerIndex(total);
        return datagram;
    }

    /**
     * The plaintext (padding included) of transport message {@code datagram} (borrowed) under
     * {@code counter}, in a new buffer from {@code alloc}; null when it does not authenticate. The
     * replay window is the caller's to check, after this.
     */
    @Nullable
    ByteBuf open(ByteBuf datagram, long counter, ByteBufAllocator alloc) {
        int start = datagram.readerIndex();
        int length = datagram.readableBytes();
        int plainLength = length - TRANSPORT_MIN_LENGTH;
        ByteBuf plain = alloc.buffer(Math.max(plainLength, 1));
        boolean opened = receiver.open(
                counter,
                view(datagram, start + TRANSPORT_HEADER_LENGTH, length - TRANSPORT_HEADER_LENGTH),
                plain.internalNioBuffer(0, plain.capacity()));
        if (!opened) {
            plain.release();
            return null;
        }
        return plain.writerIndex(plainLength);
    }

    /** Zeroes both directions' keys: the keypair is forgotten and never used again. */
    void destroy() {
        sender.destroy();
        receiver.destroy();
    }

    /** Zero bytes that round the plaintext up to a multiple of 16, never past the MTU (wireguard-go). */
    static int paddingFor(int length, int mtu) {
        int last = length > mtu ? length % mtu : length;
        int padded = Math.min(mtu, (last + 15) & ~15);
        return Math.max(0, padded - last);
    }

    /** A ByteBuffer view of a region, without allocating when the buffer has a single NIO buffer. */
    private static ByteBuffer view(ByteBuf buf, int index, int length) {
        return buf.nioBufferCount() == 1 ? buf.internalNioBuffer(index, length) : buf.nioBuffer(index, length);
    }
}
