package co.airdress.relay.tunnel.device;

import co.airdress.relay.tunnel.TunnelSink;
import co.airdress.relay.tunnel.WireGuardEngine;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.device.internal.TunWriter;
import co.airdress.relay.tunnel.tun.OffloadSplitter;
import co.airdress.relay.tunnel.tun.TunQueue;
import co.airdress.relay.tunnel.udp.UdpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O loop: everything that runs on the device's event loop, between the TUN device, the
 * {@link WireGuardEngine} and the UDP socket. It reads datagrams from the socket and hands them to
 * the engine; when epoll reports the TUN readable it reads a burst, cuts the kernel's TCP
 * super-packets into MTU-sized packets ({@link OffloadSplitter}), has the engine seal them and
 * flushes the socket; it runs the engine's ticks; and, as the engine's {@link TunnelSink}, it
 * queues datagrams on the socket and hands decrypted packets to the {@link TunWriter} thread.
 *
 * <p>The engine works on heap buffers: each TUN read and each direct UDP datagram is copied once
 * into a reused heap buffer, and the engine's output comes from a pooled heap allocator.
 */
final class DeviceLoop implements UdpTransport.Receiver, TunnelSink {

    private static final Logger logger = LoggerFactory.getLogger(DeviceLoop.class);

    /** TUN reads per epoll wake-up before yielding to the UDP socket and timers. */
    private static final int TUN_BURST = 64;
    /**
     * Packets sealed per wake-up before yielding: with segmentation offload one read can yield ~45
     * packets, and the UDP side (the peer's ACKs) must not wait behind thousands of them.
     */
    private static final int SEAL_BUDGET = 256;
    /** Datagrams queued before the socket is flushed ({@code sendmmsg}) within a wake-up. */
    private static final int FLUSH_EVERY = 64;
    /** The largest IP packet the TUN hands over or takes: an offloaded TCP super-packet. */
    private static final int MAX_TUN_PACKET = 65535;
    /** Packets queued for the writer thread before further ones are dropped. */
    private static final int TUN_WRITER_QUEUE = 4096;

    private final WireGuardEngine engine;
    private final TunQueue tunQueue;
    /** One native buffer for every TUN read: virtio-net header, then the packet. */
    private final MemorySegment tunReadSegment;
    /** The reused heap copy of each read; the splitter's plain packets stay in it. */
    private final ByteBuf tunHeapBuffer;

    private final MemorySegment tunHeapSegment;
    private final ByteBuf udpHeapBuffer = Unpooled.buffer(UdpTransport.MAX_DATAGRAM, UdpTransport.MAX_DATAGRAM);
    private final OffloadSplitter splitter = new OffloadSplitter(MAX_TUN_PACKET);
    /** A heap view over the splitter's output array, so segments reach the engine without allocation. */
    private final ByteBuf segmentView = Unpooled.wrappedBuffer(splitter.output());

    private final OffloadSplitter.Sink sealSegment = this::sealSegment;

    @Nullable
    UdpTransport udp;

    boolean closed;
    private boolean needsFlush;
    private int queuedDatagrams;
    private long sealNow;

    final AtomicLong tunPacketsRead = new AtomicLong();
    final AtomicLong tunPacketsWritten = new AtomicLong();
    final AtomicLong tunWriteDrops = new AtomicLong();
    /** Offloaded reads the splitter refused (malformed, or an offload type we did not enable). */
    final AtomicLong tunReadDrops = new AtomicLong();

    /** Writes decrypted packets to the TUN on a thread of its own. */
    private final TunWriter writer;

    /** {@code tunQueue} must carry a virtio-net header ({@link OffloadSplitter#HEADER_LENGTH} bytes). */
    DeviceLoop(WireGuardEngine engine, TunQueue tunQueue, String writerThread) {
        if (tunQueue.headerLength() != OffloadSplitter.HEADER_LENGTH) {
            throw new IllegalArgumentException("tunQueue: a " + tunQueue.headerLength()
                    + "-byte header (expected: a virtio-net header, TUN opened with IFF_VNET_HDR)");
        }
        this.engine = engine;
        this.tunQueue = tunQueue;
        int readSize = MAX_TUN_PACKET + OffloadSplitter.HEADER_LENGTH;
        this.tunReadSegment = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(readSize));
        this.tunHeapBuffer = Unpooled.buffer(readSize, readSize);
        this.tunHeapSegment = MemorySegment.ofArray(tunHeapBuffer.array());
        this.writer = new TunWriter(
                tunQueue, TUN_WRITER_QUEUE, MAX_TUN_PACKET, writerThread, tunPacketsWritten, tunWriteDrops);
    }

    // ---- UDP side

    @Override
    public void onDatagram(ByteBuf content, InetSocketAddress sender) {
        onDatagram(content, sender, -1);
    }

    @Override
    public void onDatagram(ByteBuf content, InetSocketAddress sender, int socket) {
        if (!content.hasArray()) {
            int length = content.readableBytes();
            if (length > udpHeapBuffer.capacity()) {
                return; // larger than any WireGuard message for our MTU range
            }
            content.getBytes(content.readerIndex(), udpHeapBuffer.array(), udpHeapBuffer.arrayOffset(), length);
            udpHeapBuffer.setIndex(0, length);
            engine.decapsulate(sender, socket, udpHeapBuffer, System.nanoTime(), this);
            return;
        }
        engine.decapsulate(sender, socket, content, System.nanoTime(), this);
    }

    @Override
    public void onReadBurstComplete() {
        flushIfNeeded();
    }

    // ---- TUN side

    void onTunReadable() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        int sealed = 0;
        try {
            for (int i = 0; i < TUN_BURST && sealed < SEAL_BUDGET; i++) {
                int n = tunQueue.readNow(tunReadSegment);
                if (n <= 0) {
                    break;
                }
                MemorySegment.copy(tunReadSegment, 0, tunHeapSegment, 0, n);
                sealNow = now;
                int packets = splitter.split(tunHeapBuffer.array(), 0, n, sealSegment);
                if (packets == 0) {
                    tunReadDrops.lazySet(tunReadDrops.get() + 1);
                }
                sealed += packets;
            }
        } catch (IOException e) {
            logger.warn("reading the TUN device failed", e);
        }
        flushIfNeeded();
    }

    /** One packet from the {@link OffloadSplitter}: in the read buffer itself or in its segment array. */
    private void sealSegment(byte[] packet, int offset, int length) {
        ByteBuf view = packet == tunHeapBuffer.array() ? tunHeapBuffer : segmentView;
        view.setIndex(offset, offset + length);
        tunPacketsRead.lazySet(tunPacketsRead.get() + 1);
        engine.encapsulate(view, sealNow, this);
        if (queuedDatagrams >= FLUSH_EVERY) {
            flushIfNeeded();
        }
    }

    void onTick() {
        if (closed) {
            return;
        }
        engine.tick(System.nanoTime(), this);
        flushIfNeeded();
    }

    /** Flushes queued datagrams ({@code sendmmsg}) and wakes the TUN writer: once per burst, not per packet. */
    void flushIfNeeded() {
        writer.wake();
        if (needsFlush && udp != null) {
            needsFlush = false;
            queuedDatagrams = 0;
            udp.flush();
        }
    }

    // ---- the engine's output

    @Override
    public void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram) {
        sendDatagram(-1, endpoint, datagram);
    }

    @Override
    public void sendDatagram(int socket, InetSocketAddress endpoint, ByteBuf datagram) {
        UdpTransport transport = udp;
        if (transport == null || closed) {
            datagram.release();
            return;
        }
        transport.write(datagram, endpoint, socket);
        needsFlush = true;
        queuedDatagrams++;
    }

    @Override
    public void deliverToTun(WireGuardKey peer, ByteBuf ipPacket) {
        writer.offer(ipPacket);
    }

    /** Stops the writer thread and releases the buffers; after the loop stopped calling in. */
    void release() {
        writer.close();
        tunHeapBuffer.release();
        udpHeapBuffer.release();
    }
}
