package co.airdress.relay.tunnel.device;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.Drop;
import co.airdress.relay.tunnel.IndexResolver;
import co.airdress.relay.tunnel.PeerChanges;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerEvent;
import co.airdress.relay.tunnel.PeerLookup;
import co.airdress.relay.tunnel.PeerPolicy;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.TunnelConfig;
import co.airdress.relay.tunnel.WireGuardEngine;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.config.KeyText;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.device.internal.PeerEventQueue;
import co.airdress.relay.tunnel.device.internal.TunReadiness;
import co.airdress.relay.tunnel.device.internal.TunWriter;
import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import co.airdress.relay.tunnel.tun.InterfaceSetup;
import co.airdress.relay.tunnel.tun.OffloadSplitter;
import co.airdress.relay.tunnel.tun.TunDevice;
import co.airdress.relay.tunnel.udp.UdpTransport;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import java.io.IOException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Collection;
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
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's WireGuard interface at run time, what {@code wg show} would list: the kernel's TUN
 * device ({@link TunDevice}), the UDP socket, and the protocol engine ({@link WireGuardEngine}),
 * joined by the I/O loop ({@link DeviceLoop}) on <b>one</b> Netty epoll event loop. That thread
 * reads UDP datagrams, is woken by epoll when the TUN has packets, and runs the protocol timers;
 * the engine is single-owner by design, so its packet path never runs on another thread or takes
 * a lock. Decrypted packets are written to the TUN by a {@link TunWriter} thread, because that
 * write runs the kernel's TCP receive path for the packet (tunnel/README.md).
 *
 * <p>The TUN is opened with a virtio-net header and TCP segmentation offload: the kernel hands
 * over TCP super-packets of up to 64 KB, which {@link OffloadSplitter} cuts into MTU-sized
 * packets.
 *
 * <p>This class is the control side: start, peer changes, stats and close, each run on the loop
 * or read from snapshots. {@link #close()} closes the socket and the TUN; the kernel then removes
 * the interface with its addresses and routes, so nothing is left behind.
 */
public final class WireGuardDevice implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(WireGuardDevice.class);

    private static final long CONTROL_TIMEOUT_SECONDS = 10;

    private static final PooledByteBufAllocator HEAP_ALLOCATOR = new PooledByteBufAllocator(false);

    /**
     * Settings beyond the YAML ones.
     *
     * @param timers {@link ProtocolTimers#STANDARD} in production; shorter ones only in tests
     * @param handshakesPerSecondBeforeCookies see {@link TunnelConfig#handshakesPerSecondBeforeCookies()}
     * @param ipv6SourcePrefix see {@link TunnelConfig#ipv6SourcePrefix()}
     */
    public record Options(
            ProtocolTimers timers, int handshakesPerSecondBeforeCookies, int ipv6SourcePrefix, PeerPolicy peers) {
        public static final Options STANDARD = new Options(
                ProtocolTimers.STANDARD,
                TunnelConfig.DEFAULT_HANDSHAKES_PER_SECOND_BEFORE_COOKIES,
                SourcePrefix.DEFAULT_IPV6_LENGTH,
                PeerPolicy.DEFAULT);

        public Options {
            requireNonNull(timers, "timers");
            requireNonNull(peers, "peers");
        }

        public Options(ProtocolTimers timers, int handshakesPerSecondBeforeCookies, int ipv6SourcePrefix) {
            this(timers, handshakesPerSecondBeforeCookies, ipv6SourcePrefix, PeerPolicy.DEFAULT);
        }

        /** How peers created just in time are kept, and whether re-attachment is on. */
        public Options withPeerPolicy(PeerPolicy policy) {
            return new Options(timers, handshakesPerSecondBeforeCookies, ipv6SourcePrefix, policy);
        }

        /** IPv6 sources counted by /64. */
        public Options(ProtocolTimers timers, int handshakesPerSecondBeforeCookies) {
            this(timers, handshakesPerSecondBeforeCookies, SourcePrefix.DEFAULT_IPV6_LENGTH);
        }

        public Options withIpv6SourcePrefix(int length) {
            return new Options(timers, handshakesPerSecondBeforeCookies, length, peers);
        }
    }

    private final String interfaceName;
    private final TunDevice tun;
    private final WireGuardEngine engine;
    private final DeviceLoop loop;
    private final UdpTransport udp;
    private final EventLoop eventLoop;
    private final ScheduledFuture<?> ticker;
    private final IoRegistration tunRegistration;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PeerEventQueue events;

    private WireGuardDevice(
            String interfaceName,
            TunDevice tun,
            WireGuardEngine engine,
            DeviceLoop loop,
            UdpTransport udp,
            ScheduledFuture<?> ticker,
            IoRegistration tunRegistration,
            PeerEventQueue events) {
        this.events = events;
        this.interfaceName = interfaceName;
        this.tun = tun;
        this.engine = engine;
        this.loop = loop;
        this.udp = udp;
        this.eventLoop = udp.eventLoop();
        this.ticker = ticker;
        this.tunRegistration = tunRegistration;
    }

    /** Reads the private key file named in {@code config} and starts. */
    public static WireGuardDevice start(WireGuardConfig config, Collection<PeerConfig> peers) throws IOException {
        return start(config, peers, Options.STANDARD);
    }

    /** Reads the private key file named in {@code config} and starts with {@code options}. */
    public static WireGuardDevice start(WireGuardConfig config, Collection<PeerConfig> peers, Options options)
            throws IOException {
        return start(config, KeyText.readFile(config.privateKeyFile()), peers, options);
    }

    /**
     * Opens the TUN interface, gives it its addresses and MTU, binds the UDP port, adds the peers
     * and starts the loop, all in the calling thread's network namespace.
     *
     * @throws IOException naming the step that failed (TUNSETIFF, the {@code ip} command, the bind)
     */
    public static WireGuardDevice start(
            WireGuardConfig config, WireGuardKey privateKey, Collection<PeerConfig> peers, Options options)
            throws IOException {
        requireNonNull(config, "config");
        requireNonNull(privateKey, "privateKey");
        requireNonNull(peers, "peers");
        requireNonNull(options, "options");
        Set<InetAddress> own = new HashSet<>();
        config.addresses().forEach(a -> own.add(a.address()));
        TunnelConfig tunnelConfig = new TunnelConfig(
                privateKey,
                own,
                config.mtu(),
                TunnelConfig.DEFAULT_MAX_QUEUED_PACKETS,
                options.handshakesPerSecondBeforeCookies(),
                options.ipv6SourcePrefix(),
                options.timers(),
                HEAP_ALLOCATOR,
                new SecureRandom(),
                InstantSource.system());
        WireGuardEngine engine = new WireGuardEngine(tunnelConfig, options.peers());
        PeerChanges initial = PeerChanges.between(List.of(), peers);

        TunDevice tun = TunDevice.open(config.interfaceName(), 1, true);
        UdpTransport udp = null;
        DeviceLoop loop = null;
        PeerEventQueue events = new PeerEventQueue("wg-" + tun.name() + "-events");
        engine.peerEvents(events);
        try {
            tun.setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6);
            new InterfaceSetup().up(tun.name(), config.addresses(), config.mtu());
            loop = new DeviceLoop(engine, tun.queue(0), "wg-" + tun.name() + "-tun-writer");
            udp = UdpTransport.bind(config.listenAddresses(), config.listenPort(), loop, threads("wg-" + tun.name()));
            loop.udp = udp;
            EventLoop eventLoop = udp.eventLoop();
            if (!(eventLoop instanceof IoEventLoop ioLoop) || !udp.nativeTransport()) {
                throw new IOException(
                        "WireGuard " + tun.name()
                                + ": the TUN device needs Netty's native epoll transport (expected: Linux with netty-transport-native-epoll)");
            }
            onLoop(eventLoop, () -> {
                engine.apply(initial);
                return null;
            });
            IoRegistration registration = TunReadiness.register(ioLoop, tun.queue(0), loop::onTunReadable)
                    .syncUninterruptibly()
                    .getNow();
            ScheduledFuture<?> ticker = eventLoop.scheduleAtFixedRate(
                    loop::onTick,
                    WireGuardEngine.TICK_INTERVAL_NANOS,
                    WireGuardEngine.TICK_INTERVAL_NANOS,
                    TimeUnit.NANOSECONDS);
            logger.info(
                    "WireGuard {} up: {} mtu {}, UDP {}, {} peer(s)",
                    tun.name(),
                    config.addresses(),
                    config.mtu(),
                    udp.localAddresses(),
                    initial.added().size());
            return new WireGuardDevice(tun.name(), tun, engine, loop, udp, ticker, registration, events);
        } catch (IOException | RuntimeException e) {
            events.close();
            if (udp != null) {
                udp.close();
            }
            if (loop != null) {
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
        return engine.publicKey();
    }

    /** The peers in force, as last added or updated; any thread. */
    public List<PeerConfig> peers() {
        return engine.peers();
    }

    /**
     * Removes, adds and updates peers as {@code changes} says (a config reload: see
     * {@link PeerChanges#between}); peers it does not name keep their sessions untouched.
     */
    public void apply(PeerChanges changes) throws IOException {
        apply(changes, Map.of());
    }

    /**
     * As {@link #apply(PeerChanges)}, then raises the replay floors of {@code replayFloors}' peers
     * ({@link WireGuardEngine#raiseReplayFloor}) in the same step on the loop, so that no
     * initiation is processed between a peer's addition and its floor.
     */
    public void apply(PeerChanges changes, Map<WireGuardKey, byte[]> replayFloors) throws IOException {
        requireNonNull(changes, "changes");
        requireNonNull(replayFloors, "replayFloors");
        control(() -> {
            engine.apply(changes);
            replayFloors.forEach(engine::raiseReplayFloor);
            return null;
        });
    }

    /**
     * Where peers not added explicitly are found: a handshake from a key it knows creates the peer
     * then ({@link WireGuardEngine#peerLookup}); any thread.
     */
    public void peerLookup(PeerLookup lookup) {
        engine.peerLookup(lookup);
    }

    /** Who resolves receiver indexes issued elsewhere, for re-attachment; any thread. */
    public void indexResolver(IndexResolver resolver) {
        engine.indexResolver(resolver);
    }

    /**
     * Subscribes to handshakes completed and peers ended; called on the device's event thread, in
     * order, never on the packet path (a full queue drops events: {@link DeviceStats#peerEventDrops}).
     */
    public void addPeerEventListener(Consumer<PeerEvent> listener) {
        events.subscribe(listener);
    }

    /**
     * Adds a peer as if its handshake had created it (e.g. remembered across a restart), restores
     * its replay floor in the same step, and initiates a handshake to its endpoint. False when the
     * bound of peers is reached or it already exists.
     */
    public boolean seed(PeerConfig peer, byte @Nullable [] replayFloor) throws IOException {
        requireNonNull(peer, "peer");
        return control(() -> {
            long now = System.nanoTime();
            if (!engine.addJustInTime(peer, now)) {
                return false;
            }
            if (replayFloor != null) {
                engine.raiseReplayFloor(peer.publicKey(), replayFloor);
            }
            engine.initiateHandshake(peer.publicKey(), now, loop);
            udp.flush();
            return true;
        });
    }

    /**
     * As {@link #seed}, without waiting: the peer is created on the loop after this returns (e.g.
     * from a dial, which must not block). Any thread.
     */
    public void seedLater(PeerConfig peer, byte @Nullable [] replayFloor) {
        requireNonNull(peer, "peer");
        if (closed.get()) {
            return;
        }
        eventLoop.execute(() -> {
            long now = System.nanoTime();
            if (engine.addJustInTime(peer, now)) {
                if (replayFloor != null) {
                    engine.raiseReplayFloor(peer.publicKey(), replayFloor);
                }
                engine.initiateHandshake(peer.publicKey(), now, loop);
                udp.flush();
            }
        });
    }

    /** Whether the device holds state for {@code peer} (added, or created by a handshake); any thread. */
    public boolean hasPeer(WireGuardKey peer) {
        return engine.hasPeer(peer);
    }

    /** Sends a handshake initiation now (e.g. before connecting); false if the peer has no endpoint. */
    public boolean initiateHandshake(WireGuardKey peer) throws IOException {
        requireNonNull(peer, "peer");
        return control(() -> {
            boolean sent = engine.initiateHandshake(peer, System.nanoTime(), loop);
            udp.flush();
            return sent;
        });
    }

    /** Whether a connection to {@code peer} can be expected to get through now; any thread. */
    public boolean isReachable(WireGuardKey peer) {
        return engine.isReachable(peer, System.nanoTime());
    }

    public boolean hasLiveSession(WireGuardKey peer) {
        return engine.hasLiveSession(peer, System.nanoTime());
    }

    /** One entry per peer, like {@code wg show}; any thread. */
    public List<PeerStats> stats() {
        return engine.stats(System.nanoTime());
    }

    public @Nullable PeerStats stats(WireGuardKey peer) {
        return engine.stats(peer, System.nanoTime());
    }

    /** Device-wide drops by reason, plus the I/O side's own counters. */
    public DeviceStats deviceStats() {
        return new DeviceStats(
                engine.drops(),
                loop.tunPacketsRead.get(),
                loop.tunPacketsWritten.get(),
                loop.tunWriteDrops.get(),
                loop.tunReadDrops.get(),
                engine.justInTimePeers(),
                engine.reattachStats(),
                events.drops());
    }

    /**
     * Device-wide counters.
     *
     * @param drops the engine's drops by reason (absent = 0)
     * @param tunPacketsRead IP packets taken from the TUN (after splitting offloaded super-packets)
     * @param tunWriteDrops decrypted packets not written to the TUN (writer queue full, kernel refusal)
     * @param tunReadDrops offloaded TUN reads that could not be split (see {@link OffloadSplitter})
     * @param activePeers peers created just in time that exist now
     * @param reattach the re-attachment fast path's counts
     * @param peerEventDrops peer events dropped because the subscribers' queue was full
     */
    public record DeviceStats(
            Map<Drop, Long> drops,
            long tunPacketsRead,
            long tunPacketsWritten,
            long tunWriteDrops,
            long tunReadDrops,
            int activePeers,
            WireGuardEngine.ReattachStats reattach,
            long peerEventDrops) {}

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
        loop.release();
        tun.close();
        events.close();
        logger.info("WireGuard {} closed", interfaceName);
    }
}
