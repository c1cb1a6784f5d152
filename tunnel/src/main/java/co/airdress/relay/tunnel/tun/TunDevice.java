package co.airdress.relay.tunnel.tun;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.internal.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux TUN interface opened through {@code /dev/net/tun} with FFM: layer-3 packets, no packet
 * information prefix ({@code IFF_NO_PI}), optionally several queues ({@code IFF_MULTI_QUEUE}, one
 * file descriptor each) and a virtio-net header in front of every packet ({@code IFF_VNET_HDR}).
 *
 * <p>The interface is not persistent: it disappears when the last queue is closed. The
 * descriptors are non-blocking; {@link TunQueue#read} waits in {@code poll(2)} only when no
 * packet is queued, together with an eventfd that {@link #wakeUp()} signals, so a reader thread
 * can be stopped without a packet arriving.
 */
public final class TunDevice implements AutoCloseable {

    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454caL;
    /** {@code _IOW('T', 208, unsigned int)}. */
    static final long TUNSETOFFLOAD = 0x400454d0L;

    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_VNET_HDR = 0x4000;

    /** {@link #setOffload} flags: the kernel may leave checksums to us ({@code TUN_F_CSUM}). */
    public static final int TUN_F_CSUM = 0x01;
    /** TCP segmentation offload over IPv4: reads may be TCP super-packets up to 64 KB. */
    public static final int TUN_F_TSO4 = 0x02;
    /** TCP segmentation offload over IPv6. */
    public static final int TUN_F_TSO6 = 0x04;

    /** Size of {@code struct virtio_net_hdr} when {@code IFF_VNET_HDR} is set. */
    public static final int VNET_HDR_LENGTH = 10;

    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;
    private static final int MAX_QUEUES = 16;

    private final String name;
    private final boolean vnetHdr;
    private final List<TunQueue> queues;
    private final int wakeFd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TunDevice(String name, boolean vnetHdr, List<TunQueue> queues, int wakeFd) {
        this.name = name;
        this.vnetHdr = vnetHdr;
        this.queues = queues;
        this.wakeFd = wakeFd;
    }

    /** Opens a single-queue TUN device without virtio-net header. */
    public static TunDevice open(String name) throws IOException {
        return open(name, 1, false);
    }

    /**
     * Opens (creating it if needed) the TUN interface {@code name} in the calling thread's network
     * namespace. It appears in state DOWN without addresses; see {@link InterfaceSetup}.
     *
     * @param queues 1 for a classic single-queue device; more sets {@code IFF_MULTI_QUEUE}
     * @param vnetHdr whether every packet read and written carries a {@value #VNET_HDR_LENGTH}-byte
     *     virtio-net header
     * @throws IOException naming the device, the failing call and errno
     */
    public static TunDevice open(String name, int queues, boolean vnetHdr) throws IOException {
        requireNonNull(name, "name");
        validateName(name);
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("queues: " + queues + " (expected: 1.." + MAX_QUEUES + ")");
        }
        short flags = (short) (IFF_TUN | IFF_NO_PI);
        if (queues > 1) {
            flags |= IFF_MULTI_QUEUE;
        }
        if (vnetHdr) {
            flags |= IFF_VNET_HDR;
        }
        int wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wakeFd < 0) {
            throw new IOException("eventfd for TUN " + name + ": " + Libc.errnoName(Libc.errno()));
        }
        List<TunQueue> opened = new ArrayList<>(queues);
        String actualName = name;
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < queues; i++) {
                int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
                if (fd < 0) {
                    int errno = Libc.errno();
                    throw new IOException("open /dev/net/tun for " + name + ": " + Libc.errnoName(errno) + hint(errno));
                }
                MemorySegment ifreq = arena.allocate(IFREQ_SIZE);
                byte[] nameBytes = actualName.getBytes(StandardCharsets.US_ASCII);
                MemorySegment.copy(nameBytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
                ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, flags);
                if (Libc.ioctl(fd, TUNSETIFF, ifreq) < 0) {
                    int errno = Libc.errno();
                    Libc.close(fd);
                    throw new IOException("TUNSETIFF " + name + ": " + Libc.errnoName(errno) + hint(errno));
                }
                actualName = ifreq.getString(0, StandardCharsets.US_ASCII);
                opened.add(new TunQueue(actualName, i, fd, wakeFd, vnetHdr ? VNET_HDR_LENGTH : 0));
            }
        } catch (IOException | RuntimeException e) {
            opened.forEach(TunQueue::closeFd);
            Libc.close(wakeFd);
            throw e;
        }
        return new TunDevice(actualName, vnetHdr, List.copyOf(opened), wakeFd);
    }

    private static void validateName(String name) throws IOException {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        boolean valid = !name.isEmpty()
                && bytes.length < IFNAMSIZ
                && !name.equals(".")
                && !name.equals("..")
                && name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '/' && c != ':');
        if (!valid) {
            throw new IllegalArgumentException("interface name: '" + name
                    + "' (expected: 1..15 printable ASCII characters without '/', ':' or spaces)");
        }
    }

    private static String hint(int errno) {
        return switch (errno) {
            case 1, 13 -> " (expected: CAP_NET_ADMIN)";
            case 2, 19 -> " (expected: the tun module and /dev/net/tun)";
            case 16 -> " (expected: no other process holding that interface)";
            case 22 -> " (expected: an existing interface of the same kind, queue count and flags, or none)";
            default -> "";
        };
    }

    /** Enables checksum/segmentation offloads; only meaningful with the virtio-net header. */
    public void setOffload(int tunFlags) throws IOException {
        if (!vnetHdr) {
            throw new IllegalStateException("TUNSETOFFLOAD " + name + " (expected: a device opened with vnetHdr)");
        }
        for (TunQueue q : queues) {
            if (Libc.ioctl(q.fd(), TUNSETOFFLOAD, tunFlags) < 0) {
                throw new IOException("TUNSETOFFLOAD " + name + ": " + Libc.errnoName(Libc.errno()));
            }
        }
    }

    /** The interface name the kernel gave (equal to the requested one unless it held {@code %d}). */
    public String name() {
        return name;
    }

    public boolean vnetHdr() {
        return vnetHdr;
    }

    public int queueCount() {
        return queues.size();
    }

    public TunQueue queue(int index) {
        return queues.get(index);
    }

    /**
     * Makes every pending and future {@link TunQueue#read} return {@code -1}. Call it, let the
     * reader threads finish, then {@link #close()}.
     */
    public void wakeUp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            queues.forEach(TunQueue::markClosed);
            Libc.write(wakeFd, one, 8);
        }
    }

    /** Wakes readers and closes every queue; the kernel then removes the interface. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        wakeUp();
        queues.forEach(TunQueue::closeFd);
        Libc.close(wakeFd);
    }

    @Override
    public String toString() {
        return "TunDevice(" + name + ", queues=" + queues.size() + (vnetHdr ? ", vnet_hdr" : "") + ")";
    }
}
