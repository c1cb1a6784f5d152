package co.airdress.relay.tunnel.tun;

import co.airdress.relay.tunnel.internal.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * One queue (file descriptor) of a {@link TunDevice}. One thread reads a queue; any number of
 * threads may write to it, each {@code write(2)} being one whole packet.
 */
public final class TunQueue {

    private final String name;
    private final int index;
    private final int fd;
    /** Two {@code struct pollfd}: this queue's descriptor and the device's wake-up eventfd. */
    private final MemorySegment pollFds;

    private final int headerLength;
    private volatile boolean closed;

    TunQueue(String name, int index, int fd, int wakeFd, int headerLength) {
        this.name = name;
        this.index = index;
        this.fd = fd;
        this.headerLength = headerLength;
        this.pollFds = Arena.ofAuto().allocate(Libc.POLLFD, 2);
        pollFds.set(ValueLayout.JAVA_INT, 0, fd);
        pollFds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
        pollFds.set(ValueLayout.JAVA_INT, 8, wakeFd);
        pollFds.set(ValueLayout.JAVA_SHORT, 12, Libc.POLLIN);
    }

    int fd() {
        return fd;
    }

    /**
     * The raw descriptor, for registering readiness with an event loop (non-blocking). Reading or
     * closing it directly bypasses this class; the {@link TunDevice} still owns it.
     */
    public int fileDescriptor() {
        return fd;
    }

    /**
     * Reads one packet if one is queued, without waiting.
     *
     * @return the packet length, {@code 0} if none is queued, {@code -1} once the device is closed
     */
    public int readNow(MemorySegment buffer) throws IOException {
        if (closed) {
            return -1;
        }
        long n = Libc.read(fd, buffer, buffer.byteSize());
        if (n >= 0) {
            return (int) n;
        }
        int errno = Libc.errno();
        if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
            return 0;
        }
        if (closed) {
            return -1;
        }
        throw new IOException("read TUN " + name + " queue " + index + ": " + Libc.errnoName(errno));
    }

    public int index() {
        return index;
    }

    /** Bytes of virtio-net header in front of every packet: 0 or {@link TunDevice#VNET_HDR_LENGTH}. */
    public int headerLength() {
        return headerLength;
    }

    /**
     * Reads one packet into {@code buffer} (a native segment), waiting until one is queued.
     *
     * @return the packet length (including any virtio-net header), or {@code -1} once the device
     *     has been woken up for closing
     * @throws IOException naming the device and errno
     */
    public int read(MemorySegment buffer) throws IOException {
        while (!closed) {
            long n = Libc.read(fd, buffer, buffer.byteSize());
            if (n >= 0) {
                return (int) n;
            }
            int errno = Libc.errno();
            if (errno == Libc.EAGAIN) {
                awaitReadable();
            } else if (errno != Libc.EINTR) {
                if (closed) {
                    return -1;
                }
                throw new IOException("read TUN " + name + " queue " + index + ": " + Libc.errnoName(errno));
            }
        }
        return -1;
    }

    /**
     * Reads one packet into a direct buffer between its position and limit; on success the buffer's
     * limit is set to the end of the packet.
     */
    public int read(ByteBuffer direct) throws IOException {
        int position = direct.position();
        int n = read(MemorySegment.ofBuffer(direct));
        if (n > 0) {
            direct.limit(position + n);
        }
        return n;
    }

    private void awaitReadable() throws IOException {
        pollFds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        pollFds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
        int r = Libc.poll(pollFds, 2, -1);
        if (r < 0) {
            int errno = Libc.errno();
            if (errno != Libc.EINTR) {
                throw new IOException("poll TUN " + name + " queue " + index + ": " + Libc.errnoName(errno));
            }
        }
    }

    /**
     * Writes one packet (with its virtio-net header if the device has one).
     *
     * @return {@code false} if the kernel dropped it for lack of room ({@code EAGAIN}/{@code ENOBUFS})
     * @throws IOException on any other error, naming the device and errno
     */
    public boolean write(MemorySegment packet) throws IOException {
        return write(packet, packet.byteSize());
    }

    /** Writes the first {@code length} bytes of {@code buffer} as one packet; see {@link #write(MemorySegment)}. */
    public boolean write(MemorySegment buffer, long length) throws IOException {
        long n = Libc.write(fd, buffer, length);
        if (n >= 0) {
            return true;
        }
        int errno = Libc.errno();
        if (errno == Libc.EAGAIN || errno == 105) {
            return false;
        }
        throw new IOException(
                "write TUN " + name + " queue " + index + ": " + Libc.errnoName(errno) + " (" + length + " bytes)");
    }

    /** Writes the packet between a direct buffer's position and limit; the position is not moved. */
    public boolean write(ByteBuffer direct) throws IOException {
        return write(MemorySegment.ofBuffer(direct));
    }

    void markClosed() {
        closed = true;
    }

    void closeFd() {
        closed = true;
        Libc.close(fd);
    }
}
