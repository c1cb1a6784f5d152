package co.airdress.relay.tunnel.device;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.Drop;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.TunnelConfig;
import co.airdress.relay.tunnel.TunnelSink;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardTunnel;
import co.airdress.relay.tunnel.config.InterfaceAddress;
import co.airdress.relay.tunnel.config.KeyText;
import co.airdress.relay.tunnel.config.OperatorPeer;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.device.internal.TunReadiness;
import co.airdress.relay.tunnel.device.internal.TunWriter;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import co.airdress.relay.tunnel.tun.InterfaceSetup;
import co.airdress.relay.tunnel.tun.OffloadSplitter;
import co.airdress.relay.tunnel.tun.TunDevice;
import co.airdress.relay.tunnel.tun.TunQueue;
import co.airdress.relay.tunnel.udp.UdpTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's WireGuard interface at run time: the TUN device, the UDP socket and the sans-IO
 * {@link WireGuardTunnel}, joined on <b>one</b> Netty epoll event loop. That thread reads UDP
 * datagrams (decapsulate), is woken by epoll when the TUN has packets (read a burst, split
 * offloaded super-packets, encapsulate, write datagrams, flush) and runs the protocol timers. The
 * core is single-owner by design: its packet path never runs on another thread or takes a lock.
 *
 * <p>Decrypted packets are written to the TUN by a {@link TunWriter} thread: that write runs the
 * kernel's TCP receive path, which kept the loop at a full core; with the writer the tunnel went
 * from 0.86–0.92× to 1.11–1.14× of wireguard-go's throughput on 2 vCPUs (tunnel/README.md).
 *
 * <p>{@link #close()} closes the socket and the TUN; the kernel then removes the interface with
 * its addresses and routes, so nothing is left behind.
 */
public final class TunnelDevice implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(TunnelDevice.class);

    /** TUN reads per epoll wake-up before yielding to the UDP socket and timers. */
    private static final int TUN_BURST = 64;
    /**
     * Packets sealed per wake-up before yielding: with segmentation offload one read can yield ~45
     * packets, and the UDP side (the peer's ACKs) must not wait behind thousands of them.
     */
    private static final int SEAL_BUDGET = 256;
    /** Datagrams queued before the socket is flushed ({@code sendmmsg}) within a wake-up. */
    private static final int FLUSH_EVERY = 64;

    private static final int MAX_TUN_PACKET = 65535;
    /**
     * Whether the TUN device is opened with a virtio-net header and TCP segmentation offload: the
     * kernel then hands over TCP super-packets of up to 64 KB (fewer reads, and no software
     * segmentation in the kernel) that {@link OffloadSplitter} cuts into MTU-sized packets.
     */
    static final boolean OFFLOAD = !"false".equals(System.getProperty("airdress.tunnel.offload"));
    /**
     * Whether decrypted packets are written to the TUN by a {@link TunWriter} thread rather than by
     * the event loop itself (tunnel/README.md: the kernel's receive path runs inside that write).
     */
    static final boolean TUN_WRITER_THREAD = !"false".equals(System.getProperty("airdress.tunnel.tunWriter"));
    /** Packets queued for the writer thread before further ones are dropped. */
    private static final int TUN_WRITER_QUEUE = 4096;

    private static final long CONTROL_TIMEOUT_SECONDS = 10;
    /**
     * Whether the core encrypts and decrypts heap buffers. The JDK's ChaCha20-Poly1305 works on
     * arrays: given direct buffers it allocates and copies internally per packet, which costs more
     * than our own copy between the native I/O buffers and reused heap buffers (tunnel/README.md).
     */
    static final boolean HEAP_CRYPTO = !Boolean.getBoolean("airdress.tunnel.directCrypto");

    private static final PooledByteBufAllocator HEAP_ALLOCATOR = new PooledByteBufAllocator(false);

    /**
     * Settings beyond the YAML ones.
     *
     * @param timers {@link ProtocolTimers#STANDARD} in production; shorter ones only in tests
     * @param handshakesPerSecondBeforeCookies see {@link TunnelConfig#handshakesPerSecondBeforeCookies()}
     */
    public record Options(ProtocolTimers timers, int handshakesPerSecondBeforeCookies) {
        public static final Options STANDARD =
                new Options(ProtocolTimers.STANDARD, TunnelConfig.DEFAULT_HANDSHAKES_PER_SECOND_BEFORE_COOKIES);

        public Options {
            requireNonNull(timers, "timers");
        }
    }

    private final String interfaceName;
    private final TunDevice tun;
    private final WireGuardTunnel tunnel;
    private final DeviceLoop loop;
    private final UdpTransport udp;
    private final EventLoop eventLoop;
    private final ScheduledFuture<?> ticker;
    private final IoRegistration tunRegistration;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TunnelDevice(
            String interfaceName,
            TunDevice tun,
            WireGuardTunnel tunnel,
            DeviceLoop loop,
            UdpTransport udp,
            ScheduledFuture<?> ticker,
            IoRegistration tunRegistration) {
        this.interfaceName = interfaceName;
        this.tun = tun;
        this.tunnel = tunnel;
        this.loop = loop;
        this.udp = udp;
        this.eventLoop = udp.eventLoop();
        this.ticker = ticker;
        this.tunRegistration = tunRegistration;
    }

    /** Reads the private key file named in {@code config} and starts. */
    public static TunnelDevice start(WireGuardConfig config, Collection<OperatorPeer> peers) throws IOException {
        return start(config, KeyText.readFile(config.privateKeyFile()), peers, Options.STANDARD);
    }

    /**
     * Opens the TUN interface, gives it its addresses and MTU, binds the UDP port, adds the peers
     * and starts the loop, all in the calling thread's network namespace.
     *
     * @throws IOException naming the step that failed (TUNSETIFF, the {@code ip} command, the bind)
     */
    public static TunnelDevice start(
            WireGuardConfig config, WireGuardKey privateKey, Collection<OperatorPeer> peers, Options options)
            throws IOException {
        requireNonNull(config, "config");
        requireNonNull(privateKey, "privateKey");
        requireNonNull(peers, "peers");
        requireNonNull(options, "options");
        Set<InetAddress> own = new HashSet<>();
        for (InterfaceAddress address : config.addresses()) {
            own.add(address.address());
        }
        TunnelConfig tunnelConfig = new TunnelConfig(
                privateKey,
                own,
                config.mtu(),
                TunnelConfig.DEFAULT_MAX_QUEUED_PACKETS,
                options.handshakesPerSecondBeforeCookies(),
                options.timers(),
                HEAP_CRYPTO ? HEAP_ALLOCATOR : PooledByteBufAllocator.DEFAULT,
                new SecureRandom(),
                InstantSource.system());
        WireGuardTunnel tunnel = new WireGuardTunnel(tunnelConfig);

        TunDevice tun = TunDevice.open(config.interfaceName(), 1, OFFLOAD);
        UdpTransport udp = null;
        DeviceLoop loop = null;
        try {
            if (OFFLOAD) {
                tun.setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6);
            }
            new InterfaceSetup().up(tun.name(), config.addresses(), config.mtu());
            loop = new DeviceLoop(tunnel, tun.queue(0), TUN_WRITER_THREAD ? "wg-" + tun.name() + "-tun-writer" : null);
            udp = UdpTransport.bind(config.listenPort(), loop, threads("wg-" + tun.name()));
            loop.udp = udp;
            EventLoop eventLoop = udp.eventLoop();
            if (!(eventLoop instanceof IoEventLoop ioLoop) || !udp.nativeTransport()) {
                throw new IOException(
                        "WireGuard " + tun.name()
                                + ": the TUN device needs Netty's native epoll transport (expected: Linux with netty-transport-native-epoll)");
            }
            Map<WireGuardKey, PeerConfig> initial = new HashMap<>();
            for (OperatorPeer peer : peers) {
                initial.put(peer.publicKey(), peer.toPeerConfig());
            }
            onLoop(eventLoop, () -> {
                initial.values().forEach(tunnel::addPeer);
                return null;
            });
            IoRegistration registration = TunReadiness.register(ioLoop, tun.queue(0), loop::onTunReadable)
                    .syncUninterruptibly()
                    .getNow();
            ScheduledFuture<?> ticker = eventLoop.scheduleAtFixedRate(
                    loop::onTick,
                    WireGuardTunnel.TICK_INTERVAL_NANOS,
                    WireGuardTunnel.TICK_INTERVAL_NANOS,
                    TimeUnit.NANOSECONDS);
            logger.info(
                    "WireGuard {} up: {} mtu {}, UDP port {}, {} peer(s)",
                    tun.name(),
                    config.addresses(),
                    config.mtu(),
                    udp.localPort(),
                    initial.size());
            return new TunnelDevice(tun.name(), tun, tunnel, loop, udp, ticker, registration);
        } catch (IOException | RuntimeException e) {
            if (udp != null) {
                udp.close();
            }
            if (loop != null) {
                if (loop.writer != null) {
                    loop.writer.close();
                }
                loop.release();
            }
            tun.close();
            throw e;
        }
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> Thread.ofPlatform()
                .name(name + "-" + n.incrementAndGet())
                .daemon(true)
                .unstarted(r);
    }

    public String interfaceName() {
        return interfaceName;
    }

    public int listenPort() {
        return udp.localPort();
    }

    public WireGuardKey publicKey() {
        return tunnel.publicKey();
    }

    /** Adds or updates one operator without touching the others' sessions. */
    public void putPeer(OperatorPeer peer) throws IOException {
        requireNonNull(peer, "peer");
        PeerConfig config = peer.toPeerConfig();
        control(() -> {
            boolean known = tunnel.peers().stream().anyMatch(p -> p.publicKey().equals(config.publicKey()));
            if (known) {
                tunnel.updatePeer(config);
            } else {
                tunnel.addPeer(config);
            }
            return null;
        });
    }

    public boolean removePeer(WireGuardKey publicKey) throws IOException {
        requireNonNull(publicKey, "publicKey");
        return control(() -> tunnel.removePeer(publicKey));
    }

    /**
     * Makes the set of operators equal to {@code peers} (a config reload): removes the missing,
     * adds the new, updates the changed; unchanged peers keep their sessions untouched.
     */
    public void applyPeers(Collection<OperatorPeer> peers) throws IOException {
        requireNonNull(peers, "peers");
        Map<WireGuardKey, PeerConfig> wanted = new HashMap<>();
        for (OperatorPeer peer : peers) {
            wanted.put(peer.publicKey(), peer.toPeerConfig());
        }
        control(() -> {
            Map<WireGuardKey, PeerConfig> current = new HashMap<>();
            for (PeerConfig p : tunnel.peers()) {
                current.put(p.publicKey(), p);
            }
            for (WireGuardKey key : current.keySet()) {
                if (!wanted.containsKey(key)) {
                    tunnel.removePeer(key);
                }
            }
            for (PeerConfig p : wanted.values()) {
                PeerConfig before = current.get(p.publicKey());
                if (before == null) {
                    tunnel.addPeer(p);
                } else if (!sameSettings(before, p)) {
                    tunnel.updatePeer(p);
                }
            }
            return null;
        });
    }

    private static boolean sameSettings(PeerConfig a, PeerConfig b) {
        // A configured endpoint of null means "keep the learned one"; compare what the operator set.
        return a.allowedIps().equals(b.allowedIps())
                && a.persistentKeepalive().equals(b.persistentKeepalive())
                && java.util.Objects.equals(a.presharedKey(), b.presharedKey())
                && (b.endpoint() == null || b.endpoint().equals(a.endpoint()));
    }

    /** Sends a handshake initiation now (e.g. before connecting); false if the peer has no endpoint. */
    public boolean initiateHandshake(WireGuardKey peer) throws IOException {
        requireNonNull(peer, "peer");
        return control(() -> {
            boolean sent = tunnel.initiateHandshake(peer, System.nanoTime(), loop);
            udp.flush();
            return sent;
        });
    }

    /** Whether a connection to {@code peer} can be expected to get through now; any thread. */
    public boolean isReachable(WireGuardKey peer) {
        return tunnel.isReachable(peer, System.nanoTime());
    }

    public boolean hasLiveSession(WireGuardKey peer) {
        return tunnel.hasLiveSession(peer, System.nanoTime());
    }

    /** One entry per peer, like {@code wg show}; any thread. */
    public List<PeerStats> stats() {
        return tunnel.stats(System.nanoTime());
    }

    public @Nullable PeerStats stats(WireGuardKey peer) {
        return tunnel.stats(peer, System.nanoTime());
    }

    /** Device-wide drops by reason, plus the I/O side's own counters. */
    public DeviceStats deviceStats() {
        return new DeviceStats(
                tunnel.drops(),
                loop.tunPacketsRead.get(),
                loop.tunPacketsWritten.get(),
                loop.tunWriteDrops.get(),
                loop.tunReadDrops.get());
    }

    /**
     * Device-wide counters.
     *
     * @param tunPacketsRead IP packets taken from the TUN (after splitting offloaded super-packets)
     * @param tunReadDrops offloaded TUN reads that could not be split (see {@link OffloadSplitter})
     */
    public record DeviceStats(
            Map<Drop, Long> drops,
            long tunPacketsRead,
            long tunPacketsWritten,
            long tunWriteDrops,
            long tunReadDrops) {}

    private <T> T control(Callable<T> action) throws IOException {
        if (closed.get()) {
            throw new IllegalStateException("WireGuard " + interfaceName + " (expected: not closed)");
        }
        return onLoop(eventLoop, action);
    }

    private static <T> T onLoop(EventLoop eventLoop, Callable<T> action) throws IOException {
        try {
            return eventLoop.submit(action).get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("WireGuard device loop did not answer within " + CONTROL_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Stops the loop, closes the socket and the TUN device (the interface disappears). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ticker.cancel(false);
        try {
            eventLoop
                    .submit(() -> {
                        tunRegistration.cancel();
                        loop.closed = true;
                    })
                    .get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            logger.warn("WireGuard {}: stopping the device loop failed", interfaceName, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        udp.close();
        if (loop.writer != null) {
            loop.writer.close();
        }
        loop.release();
        tun.close();
        logger.info("WireGuard {} closed", interfaceName);
    }

    /** Everything that runs on the event loop: the UDP receiver, the core's sink, TUN reads, ticks. */
    private static final class DeviceLoop implements UdpTransport.Receiver, TunnelSink {

        private final WireGuardTunnel tunnel;
        private final TunQueue tunQueue;
        /** The virtio-net header in front of every TUN read and write: 0 or 10 bytes. */
        private final int tunHeader;
        /** One buffer for every TUN read: the core borrows packets and copies what it must keep. */
        private final ByteBuf tunReadBuffer;

        private final MemorySegment tunReadSegment;
        /** With {@link #HEAP_CRYPTO}: the reused heap copies handed to the core. */
        private final ByteBuf tunHeapBuffer;

        private final MemorySegment tunHeapSegment;
        private final ByteBuf udpHeapBuffer = Unpooled.buffer(UdpTransport.MAX_DATAGRAM, UdpTransport.MAX_DATAGRAM);
        /** Where a decrypted packet is copied, behind a zero virtio-net header if the TUN has one. */
        private final MemorySegment tunWriteScratch;

        private final @Nullable OffloadSplitter splitter;
        /** Heap views over the splitter's output array, so segments reach the core without allocation. */
        private final @Nullable ByteBuf segmentView;

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

        /** Where decrypted packets go when the TUN is written by a thread of its own; else null. */
        final @Nullable TunWriter writer;

        DeviceLoop(WireGuardTunnel tunnel, TunQueue tunQueue, @Nullable String writerThread) {
            this.tunnel = tunnel;
            this.tunQueue = tunQueue;
            this.writer = writerThread == null
                    ? null
                    : new TunWriter(
                            tunQueue, TUN_WRITER_QUEUE, MAX_TUN_PACKET, writerThread, tunPacketsWritten, tunWriteDrops);
            this.tunHeader = tunQueue.headerLength();
            int readSize = MAX_TUN_PACKET + tunHeader;
            this.tunReadBuffer = Unpooled.directBuffer(readSize, readSize);
            this.tunReadSegment = MemorySegment.ofBuffer(tunReadBuffer.nioBuffer(0, readSize));
            this.tunHeapBuffer = Unpooled.buffer(readSize, readSize);
            this.tunHeapSegment = MemorySegment.ofArray(tunHeapBuffer.array());
            this.tunWriteScratch = MemorySegment.ofBuffer(java.nio.ByteBuffer.allocateDirect(readSize));
            if (tunHeader > 0) {
                this.splitter = new OffloadSplitter(MAX_TUN_PACKET);
                this.segmentView = Unpooled.wrappedBuffer(splitter.output());
            } else {
                this.splitter = null;
                this.segmentView = null;
            }
        }

        // ---- UDP side

        @Override
        public void onDatagram(ByteBuf content, InetSocketAddress sender) {
            if (HEAP_CRYPTO && !content.hasArray()) {
                int length = content.readableBytes();
                if (length > udpHeapBuffer.capacity()) {
                    return; // larger than any WireGuard message for our MTU range
                }
                content.getBytes(content.readerIndex(), udpHeapBuffer.array(), udpHeapBuffer.arrayOffset(), length);
                udpHeapBuffer.setIndex(0, length);
                tunnel.decapsulate(sender, udpHeapBuffer, System.nanoTime(), this);
                return;
            }
            tunnel.decapsulate(sender, content, System.nanoTime(), this);
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
                    if (splitter != null) {
                        MemorySegment.copy(tunReadSegment, 0, tunHeapSegment, 0, n);
                        sealNow = now;
                        int packets = splitter.split(tunHeapBuffer.array(), 0, n, sealSegment);
                        if (packets == 0) {
                            tunReadDrops.lazySet(tunReadDrops.get() + 1);
                        }
                        sealed += packets;
                    } else if (HEAP_CRYPTO) {
                        MemorySegment.copy(tunReadSegment, 0, tunHeapSegment, 0, n);
                        tunHeapBuffer.setIndex(0, n);
                        seal(tunHeapBuffer, now);
                        sealed++;
                    } else {
                        tunReadBuffer.setIndex(0, n);
                        seal(tunReadBuffer, now);
                        sealed++;
                    }
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
            seal(view, sealNow);
        }

        private void seal(ByteBuf packet, long now) {
            tunPacketsRead.lazySet(tunPacketsRead.get() + 1);
            tunnel.encapsulate(packet, now, this);
            if (queuedDatagrams >= FLUSH_EVERY) {
                flushIfNeeded();
            }
        }

        void onTick() {
            if (closed) {
                return;
            }
            tunnel.tick(System.nanoTime(), this);
            flushIfNeeded();
        }

        private void flushIfNeeded() {
            if (writer != null) {
                writer.wake();
            }
            if (needsFlush && udp != null) {
                needsFlush = false;
                queuedDatagrams = 0;
                udp.flush();
            }
        }

        // ---- the core's output

        @Override
        public void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram) {
            UdpTransport transport = udp;
            if (transport == null || closed) {
                datagram.release();
                return;
            }
            transport.write(datagram, endpoint);
            needsFlush = true;
            queuedDatagrams++;
        }

        @Override
        public void deliverToTun(WireGuardKey peer, ByteBuf ipPacket) {
            if (writer != null) {
                writer.offer(ipPacket);
                return;
            }
            try {
                int length = ipPacket.readableBytes();
                if (length > MAX_TUN_PACKET) {
                    tunWriteDrops.lazySet(tunWriteDrops.get() + 1);
                    return;
                }
                MemorySegment packet;
                if (tunHeader == 0 && ipPacket.hasMemoryAddress()) {
                    packet = MemorySegment.ofAddress(ipPacket.memoryAddress() + ipPacket.readerIndex())
                            .reinterpret(length);
                } else if (ipPacket.hasArray()) {
                    // Behind the scratch's first tunHeader bytes, which stay zero: a virtio-net
                    // header saying "no offload, checksums complete".
                    MemorySegment.copy(
                            ipPacket.array(),
                            ipPacket.arrayOffset() + ipPacket.readerIndex(),
                            tunWriteScratch,
                            java.lang.foreign.ValueLayout.JAVA_BYTE,
                            tunHeader,
                            length);
                    packet = tunWriteScratch;
                } else if (tunHeader == 0 && ipPacket.isDirect() && ipPacket.nioBufferCount() == 1) {
                    // Without sun.misc.Unsafe (JDK 25 default) Netty exposes no address; its cached
                    // NIO view of the same memory avoids a copy.
                    packet = MemorySegment.ofBuffer(ipPacket.internalNioBuffer(ipPacket.readerIndex(), length));
                } else {
                    MemorySegment.copy(
                            MemorySegment.ofBuffer(ipPacket.nioBuffer()), 0, tunWriteScratch, tunHeader, length);
                    packet = tunWriteScratch;
                }
                if (tunQueue.write(packet, tunHeader + length)) {
                    tunPacketsWritten.lazySet(tunPacketsWritten.get() + 1);
                } else {
                    tunWriteDrops.lazySet(tunWriteDrops.get() + 1);
                }
            } catch (IOException e) {
                tunWriteDrops.lazySet(tunWriteDrops.get() + 1);
                logger.debug("writing to the TUN device failed", e);
            } finally {
                ipPacket.release();
            }
        }

        void release() {
            tunReadBuffer.release();
            tunHeapBuffer.release();
            udpHeapBuffer.release();
        }
    }
}
