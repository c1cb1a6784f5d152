package co.airdress.relay.tunnel.device.internal;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.tun.TunQueue;
import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes decrypted packets to the TUN device from a thread of its own. A TUN {@code write(2)} runs
 * the kernel's whole receive path for the packet in the writer's context (for TCP: segment
 * processing, ACK generation, and on ACKs the transmission of new segments), which profiles showed
 * as the largest share of the event loop's time. Handing packets over lets that work run on the
 * other core while the loop keeps decrypting.
 *
 * <p>One producer (the event loop) and one consumer. The producer {@link #offer}s packets during a
 * burst and calls {@link #wake()} once at its end, so the writer is unparked at most once per
 * burst, not per packet. A full queue drops the packet (counted), as a full TUN queue would.
 */
public final class TunWriter implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(TunWriter.class);

    private final TunQueue tun;
    private final int header;
    private final Queue<ByteBuf> queue;
    private final Thread thread;
    private final MemorySegment scratch;
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private volatile boolean closed;
    private final AtomicLong written;
    private final AtomicLong dropped;

    /**
     * @param written incremented per packet the kernel accepted
     * @param dropped incremented per packet dropped (queue full, kernel refusal or error)
     */
    public TunWriter(
            TunQueue tun, int capacity, int maxPacket, String threadName, AtomicLong written, AtomicLong dropped) {
        this.tun = requireNonNull(tun, "tun");
        this.header = tun.headerLength();
        this.queue = PlatformDependent.newFixedMpscQueue(capacity);
        this.scratch = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(maxPacket + header));
        this.written = requireNonNull(written, "written");
        this.dropped = requireNonNull(dropped, "dropped");
        this.thread = Thread.ofPlatform()
                .name(requireNonNull(threadName, "threadName"))
                .daemon(true)
                .unstarted(this::run);
        thread.start();
    }

    /** Queues one packet (ownership passes to the writer); producer thread only. */
    public void offer(ByteBuf packet) {
        if (closed || !queue.offer(packet)) {
            packet.release();
            dropped.incrementAndGet();
        }
    }

    /** Unparks the writer if it went to sleep; call once after a burst of {@link #offer}s. */
    public void wake() {
        if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (!closed) {
            ByteBuf packet = queue.poll();
            if (packet == null) {
                sleeping.set(true);
                if (queue.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                sleeping.set(false);
                continue;
            }
            if (write(packet)) {
                written.lazySet(written.get() + 1); // this thread is its only writer
            } else {
                dropped.incrementAndGet();
            }
        }
    }

    private boolean write(ByteBuf packet) {
        try {
            int length = packet.readableBytes();
            if (length + header > scratch.byteSize()) {
                return false;
            }
            // Behind the scratch's first header bytes, which stay zero: a virtio-net header saying
            // "no offload, checksums complete".
            if (packet.hasArray()) {
                MemorySegment.copy(
                        packet.array(),
                        packet.arrayOffset() + packet.readerIndex(),
                        scratch,
                        ValueLayout.JAVA_BYTE,
                        header,
                        length);
            } else {
                MemorySegment.copy(MemorySegment.ofBuffer(packet.nioBuffer()), 0, scratch, header, length);
            }
            return tun.write(scratch, header + length);
        } catch (IOException e) {
            logger.debug("writing to the TUN device failed", e);
            return false;
        } finally {
            packet.release();
        }
    }

    /** Stops the thread (waiting for it) and releases what is still queued. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        @Nullable ByteBuf packet;
        while ((packet = queue.poll()) != null) {
            packet.release();
        }
    }
}
