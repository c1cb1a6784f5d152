package co.airdress.relay.tunnel;

import static co.airdress.relay.tunnel.noise.Messages.*;
import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.cookie.CookieChecker;
import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.index.IndexTable;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.noise.Handshake.InitiationHeader;
import co.airdress.relay.tunnel.noise.Handshake.InitiationOutcome;
import co.airdress.relay.tunnel.noise.Handshake.SessionKeys;
import co.airdress.relay.tunnel.noise.LocalIdentity;
import co.airdress.relay.tunnel.noise.Tai64n;
import co.airdress.relay.tunnel.ratelimit.HandshakeRateLimiter;
import co.airdress.relay.tunnel.ratelimit.LoadMonitor;
import co.airdress.relay.tunnel.timers.PeerTimers;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * A sans-IO WireGuard device (boringtun's {@code Tunn} shape, wireguard-go's behaviour): feed it
 * datagrams from UDP ({@link #decapsulate}), IP packets from the TUN device ({@link #encapsulate})
 * and clock ticks ({@link #tick}); it answers through a {@link TunnelSink}. It does no I/O, starts
 * no thread and reads no clock: monotonic time is the {@code nowNanos} argument (e.g.
 * {@code System.nanoTime()}), wall time only stamps handshakes.
 *
 * <h2>Threading</h2>
 * One owner thread (e.g. the Netty event loop that reads the UDP socket and the TUN fd) calls
 * {@code decapsulate}, {@code encapsulate}, {@code tick}, {@code initiateHandshake} and the peer
 * add / update / remove methods; none of them locks. {@link #hasLiveSession}, {@link #isReachable},
 * {@link #stats} and {@link #drops} may be called from any thread: they read volatile snapshots.
 *
 * <h2>Buffers</h2>
 * Input buffers are borrowed: the tunnel reads their readable bytes during the call and neither
 * retains nor releases them (a packet that must wait for a handshake is copied). Buffers given to
 * the sink are new ones from {@link TunnelConfig#allocator()}, owned by the sink.
 *
 * <h2>Isolation</h2>
 * A decrypted packet is delivered only if its source lies in the sending peer's allowed IPs and its
 * destination is one of {@link TunnelConfig#tunnelAddresses()}; the tunnel never forwards between
 * peers.
 */
public final class WireGuardTunnel implements AutoCloseable {

    /** How often the owner should call {@link #tick}; timers are accurate to this. */
    public static final long TICK_INTERVAL_NANOS = 100_000_000L;

    private final TunnelConfig config;
    private final ProtocolTimers protocol;
    private final LocalIdentity identity;
    private final WireGuardKey publicKey;
    private final CookieChecker cookieChecker;
    private final HandshakeRateLimiter rateLimiter = new HandshakeRateLimiter(65536);
    private final LoadMonitor loadMonitor;
    private final ByteBufAllocator alloc;
    private final long rekeyAfterTime;
    private final long rejectAfterTime;
    private final long rekeyTimeout;
    private final long keepaliveTimeout;
    private final long initiationRate;

    private final Map<WireGuardKey, PeerSession> peers = new ConcurrentHashMap<>();
    /** Receiver index to {@link PeerSession} (in-flight handshake) or {@link Keypair}. */
    private final IndexTable<Object> indices = new IndexTable<>();
    /** IPv4 /32 routes, keyed by the address as an int: an allocation-free lookup per packet. */
    private final IndexTable<PeerSession> v4Hosts = new IndexTable<>();
    /** IPv6 /128 routes keyed by the address's last 32 bits; colliding entries share an array. */
    private final IndexTable<RouteEntry[]> v6Hosts = new IndexTable<>();
    /** Every other allowed-IPs prefix, longest first. */
    private final List<RouteEntry> otherRoutes = new ArrayList<>();

    private final int[] ownV4;
    private final byte[][] ownV6;
    private final byte[] scratch4 = new byte[4];
    private final byte[] scratch16 = new byte[16];
    private final AtomicLongArray deviceDrops = new AtomicLongArray(Drop.values().length);

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private record RouteEntry(RawPrefix prefix, PeerSession peer) {}

    public WireGuardTunnel(TunnelConfig config) {
        this.config = requireNonNull(config, "config");
        this.protocol = config.timers();
        this.identity = new LocalIdentity(config.privateKey().unsafeBytes());
        this.publicKey = WireGuardKeys.publicKey(config.privateKey());
        this.cookieChecker = new CookieChecker(
                publicKey.unsafeBytes(), protocol.cookieRefreshTime().toNanos());
        this.loadMonitor = new LoadMonitor(config.handshakesPerSecondBeforeCookies());
        this.alloc = config.allocator();
        this.rekeyAfterTime = protocol.rekeyAfterTime().toNanos();
        this.rejectAfterTime = protocol.rejectAfterTime().toNanos();
        this.rekeyTimeout = protocol.rekeyTimeout().toNanos();
        this.keepaliveTimeout = protocol.keepaliveTimeout().toNanos();
        this.initiationRate = protocol.handshakeInitiationRate().toNanos();
        this.ownV4 = config.tunnelAddresses().stream()
                .filter(a -> a instanceof Inet4Address)
                .mapToInt(a -> ipv4(a.getAddress()))
                .toArray();
        this.ownV6 = config.tunnelAddresses().stream()
                .filter(a -> !(a instanceof Inet4Address))
                .map(InetAddress::getAddress)
                .toArray(byte[][]::new);
    }

    public WireGuardKey publicKey() {
        return publicKey;
    }

    public TunnelConfig config() {
        return config;
    }

    // ================================================================ peers (owner thread)

    /** Adds a peer; its allowed IPs must not overlap another peer's host routes. */
    public void addPeer(PeerConfig peerConfig) {
        requireNonNull(peerConfig, "peerConfig");
        WireGuardKey key = peerConfig.publicKey();
        if (peers.containsKey(key)) {
            throw new IllegalArgumentException("peer: " + key + " (expected: not already added; use updatePeer)");
        }
        if (key.equals(publicKey)) {
            throw new IllegalArgumentException("peer: " + key + " (expected: not this device's own key)");
        }
        Handshake handshake = new Handshake(
                identity,
                key.unsafeBytes(),
                peerConfig.presharedKey() == null
                        ? null
                        : peerConfig.presharedKey().unsafeBytes());
        PeerSession peer = new PeerSession(
                peerConfig,
                handshake,
                new CookieGenerator(
                        key.unsafeBytes(), protocol.cookieRefreshTime().toNanos()),
                new PeerTimers(protocol, peerConfig.persistentKeepalive().toNanos(), config.random()));
        checkRoutes(peer, peerConfig.allowedIps());
        peers.put(key, peer);
        addRoutes(peer);
    }

    /**
     * Changes a peer's PSK, allowed IPs, endpoint (when non-null) and persistent keepalive without
     * touching its sessions or any other peer.
     */
    public void updatePeer(PeerConfig peerConfig) {
        requireNonNull(peerConfig, "peerConfig");
        PeerSession peer = peers.get(peerConfig.publicKey());
        if (peer == null) {
            throw new IllegalArgumentException("peer: " + peerConfig.publicKey() + " (expected: added before)");
        }
        checkRoutes(peer, peerConfig.allowedIps());
        removeRoutes(peer);
        peer.config = peerConfig;
        peer.allowed = peerConfig.allowedIps().stream().map(RawPrefix::new).toArray(RawPrefix[]::new);
        addRoutes(peer);
        peer.handshake.setPresharedKey(
                peerConfig.presharedKey() == null
                        ? null
                        : peerConfig.presharedKey().unsafeBytes());
        if (peerConfig.endpoint() != null) {
            peer.endpoint = peerConfig.endpoint();
        }
        peer.timers.setPersistentKeepalive(peerConfig.persistentKeepalive().toNanos());
    }

    /** Removes a peer, forgetting its sessions and discarding its queued packets. */
    public boolean removePeer(WireGuardKey key) {
        requireNonNull(key, "key");
        PeerSession peer = peers.remove(key);
        if (peer == null) {
            return false;
        }
        removeRoutes(peer);
        zeroKeyMaterial(peer);
        peer.timers.cancelAll();
        releaseStaged(peer, null);
        return true;
    }

    /** Removes every peer: releases queued packets and forgets all keys. Owner thread. */
    @Override
    public void close() {
        for (WireGuardKey key : List.copyOf(peers.keySet())) {
            removePeer(key);
        }
    }

    public List<PeerConfig> peers() {
        return peers.values().stream().map(p -> p.config).toList();
    }

    private void checkRoutes(PeerSession peer, List<IpPrefix> prefixes) {
        for (IpPrefix prefix : prefixes) {
            if (!prefix.isHost()) {
                continue;
            }
            byte[] raw = prefix.address().getAddress();
            PeerSession owner = null;
            if (raw.length == 4) {
                owner = v4Hosts.get(ipv4(raw));
            } else {
                RouteEntry[] bucket = v6Hosts.get(RawPrefix.low32(raw));
                for (RouteEntry route : bucket == null ? new RouteEntry[0] : bucket) {
                    if (route.prefix().contains(raw) && route.peer() != peer) {
                        owner = route.peer();
                    }
                }
            }
            if (owner != null && owner != peer) {
                throw new IllegalArgumentException(
                        "allowed IP: " + prefix + " (expected: not already routed to " + owner.publicKey + ")");
            }
        }
    }

    private void addRoutes(PeerSession peer) {
        for (RawPrefix prefix : peer.allowed) {
            if (prefix.address.length == 4 && prefix.isHost()) {
                v4Hosts.putIfAbsent(ipv4(prefix.address), peer);
            } else if (prefix.isHost()) {
                int key = RawPrefix.low32(prefix.address);
                RouteEntry[] bucket = v6Hosts.get(key);
                RouteEntry entry = new RouteEntry(prefix, peer);
                if (bucket == null) {
                    v6Hosts.putIfAbsent(key, new RouteEntry[] {entry});
                } else {
                    RouteEntry[] grown = java.util.Arrays.copyOf(bucket, bucket.length + 1);
                    grown[bucket.length] = entry;
                    v6Hosts.replace(key, bucket, grown);
                }
            } else {
                otherRoutes.add(new RouteEntry(prefix, peer));
            }
        }
        otherRoutes.sort((a, b) -> Integer.compare(b.prefix().length, a.prefix().length));
    }

    private void removeRoutes(PeerSession peer) {
        for (RawPrefix prefix : peer.allowed) {
            if (prefix.address.length == 4 && prefix.isHost()) {
                v4Hosts.remove(ipv4(prefix.address), peer);
            } else if (prefix.isHost()) {
                int key = RawPrefix.low32(prefix.address);
                RouteEntry[] bucket = v6Hosts.get(key);
                if (bucket != null) {
                    RouteEntry[] kept = java.util.Arrays.stream(bucket)
                            .filter(r -> r.peer() != peer)
                            .toArray(RouteEntry[]::new);
                    if (kept.length == 0) {
                        v6Hosts.remove(key, bucket);
                    } else {
                        v6Hosts.replace(key, bucket, kept);
                    }
                }
            }
        }
        otherRoutes.removeIf(r -> r.peer() == peer);
    }

    // ================================================================ queries (any thread)

    /**
     * Whether {@code peer} has a session usable right now: a confirmed keypair younger than
     * REJECT_AFTER_TIME, and no data sent to it that went unanswered (nothing authenticated
     * received) for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s: when WireGuard itself gives up on the
     * session and starts a new handshake). {@code nowNanos} is on the owner's clock.
     */
    public boolean hasLiveSession(WireGuardKey peer, long nowNanos) {
        PeerSession session = peers.get(peer);
        return session != null && live(session, nowNanos);
    }

    /**
     * Whether a connection to {@code peer} can be expected to get through: a live session, or an
     * endpoint to initiate to and the handshake not given up (after REKEY_ATTEMPT_TIME of silence).
     * False means refuse at once.
     */
    public boolean isReachable(WireGuardKey peer, long nowNanos) {
        PeerSession session = peers.get(peer);
        if (session == null) {
            return false;
        }
        return live(session, nowNanos) || (session.endpoint != null && !session.gaveUp);
    }

    private boolean live(PeerSession session, long nowNanos) {
        return session.hasCurrent
                && nowNanos - session.currentCreatedNanos < rejectAfterTime
                && !(session.awaitingReply
                        && nowNanos - session.awaitingReplySinceNanos >= keepaliveTimeout + rekeyTimeout);
    }

    public @Nullable PeerStats stats(WireGuardKey peer, long nowNanos) {
        PeerSession session = peers.get(peer);
        return session == null ? null : session.snapshot(live(session, nowNanos));
    }

    public List<PeerStats> stats(long nowNanos) {
        return peers.values().stream().map(s -> s.snapshot(live(s, nowNanos))).toList();
    }

    /** Device-wide drop counts (including drops attributed to no peer). */
    public Map<Drop, Long> drops() {
        Map<Drop, Long> out = new java.util.EnumMap<>(Drop.class);
        for (Drop drop : Drop.values()) {
            long n = deviceDrops.get(drop.ordinal());
            if (n != 0) {
                out.put(drop, n);
            }
        }
        return out;
    }

    // ================================================================ inbound (owner thread)

    /** Processes one UDP datagram from {@code from}; the datagram is borrowed, not released. */
    public void decapsulate(InetSocketAddress from, ByteBuf datagram, long nowNanos, TunnelSink out) {
        int length = datagram.readableBytes();
        if (length < 4) {
            drop(out, Drop.MALFORMED, null);
            return;
        }
        int type = datagram.getIntLE(datagram.readerIndex());
        switch (type) {
            case TYPE_TRANSPORT -> {
                if (length < TRANSPORT_MIN_LENGTH) {
                    drop(out, Drop.MALFORMED, null);
                } else {
                    receiveTransport(from, datagram, nowNanos, out);
                }
            }
            case TYPE_INITIATION -> {
                if (length != INITIATION_LENGTH) {
                    drop(out, Drop.MALFORMED, null);
                } else {
                    receiveInitiation(from, ByteBufUtil.getBytes(datagram), nowNanos, out);
                }
            }
            case TYPE_RESPONSE -> {
                if (length != RESPONSE_LENGTH) {
                    drop(out, Drop.MALFORMED, null);
                } else {
                    receiveResponse(from, ByteBufUtil.getBytes(datagram), nowNanos, out);
                }
            }
            case TYPE_COOKIE_REPLY -> {
                if (length != COOKIE_REPLY_LENGTH) {
                    drop(out, Drop.MALFORMED, null);
                } else {
                    receiveCookieReply(ByteBufUtil.getBytes(datagram), nowNanos, out);
                }
            }
            default -> drop(out, Drop.MALFORMED, null);
        }
    }

    /**
     * MAC1, then (under load) MAC2 or a cookie reply, then the per-source rate limit. True when
     * the handshake message may be processed.
     */
    private boolean admitHandshake(InetSocketAddress from, byte[] msg, int senderIndex, long now, TunnelSink out) {
        if (!cookieChecker.checkMac1(msg)) {
            drop(out, Drop.MAC1_INVALID, null);
            return false;
        }
        if (!loadMonitor.onHandshakeMessage(now)) {
            return true;
        }
        byte[] source = sourceBytes(from);
        if (!cookieChecker.checkMac2(msg, source, now)) {
            byte[] reply = cookieChecker.createReply(msg, senderIndex, source, now, config.random());
            out.sendDatagram(from, Unpooled.wrappedBuffer(reply));
            drop(out, Drop.COOKIE_REQUIRED, null);
            return false;
        }
        if (!rateLimiter.allow(from.getAddress(), now)) {
            drop(out, Drop.RATE_LIMITED, null);
            return false;
        }
        return true;
    }

    private void receiveInitiation(InetSocketAddress from, byte[] msg, long now, TunnelSink out) {
        if (!admitHandshake(from, msg, getIntLE(msg, INIT_SENDER), now, out)) {
            return;
        }
        InitiationHeader header = Handshake.openInitiation(identity, msg);
        PeerSession peer = header == null ? null : peers.get(WireGuardKey.of(header.remoteStatic()));
        if (header == null || peer == null) {
            drop(out, Drop.HANDSHAKE_INVALID, null);
            return;
        }
        InitiationOutcome outcome = peer.handshake.consumeInitiation(header, msg, now, initiationRate);
        switch (outcome) {
            case ACCEPTED -> {}
            case REPLAYED -> {
                drop(out, Drop.HANDSHAKE_REPLAYED, peer);
                return;
            }
            case FLOOD -> {
                drop(out, Drop.HANDSHAKE_FLOOD, peer);
                return;
            }
            case INVALID -> {
                drop(out, Drop.HANDSHAKE_INVALID, peer);
                return;
            }
        }
        // The accepted initiation replaced any handshake of ours in flight.
        unindexHandshake(peer);
        peer.endpoint = from;
        peer.rxBytes += msg.length;
        peer.timers.onAnyAuthenticatedPacketTraversal(now);
        peer.timers.onAnyAuthenticatedPacketReceived();
        if (peer.awaitingReply) {
            peer.awaitingReply = false;
        }

        int index = indices.insert(peer, config.random());
        byte[] response = peer.handshake.createResponse(index, config.random());
        if (response == null) {
            indices.remove(index, peer);
            drop(out, Drop.HANDSHAKE_INVALID, peer);
            return;
        }
        peer.cookies.addMacs(response, now);
        SessionKeys keys = peer.handshake.deriveSession();
        beginSession(peer, requireNonNull(keys, "keys"), index, now);
        peer.timers.onAnyAuthenticatedPacketTraversal(now);
        peer.timers.onAnyAuthenticatedPacketSent();
        send(peer, from, Unpooled.wrappedBuffer(response), out);
    }

    private void receiveResponse(InetSocketAddress from, byte[] msg, long now, TunnelSink out) {
        if (!admitHandshake(from, msg, getIntLE(msg, RESP_SENDER), now, out)) {
            return;
        }
        int receiver = getIntLE(msg, RESP_RECEIVER);
        if (!(indices.get(receiver) instanceof PeerSession peer)) {
            drop(out, Drop.UNKNOWN_INDEX, null);
            return;
        }
        if (!peer.handshake.consumeResponse(msg)) {
            drop(out, Drop.HANDSHAKE_INVALID, peer);
            return;
        }
        peer.endpoint = from;
        peer.rxBytes += msg.length;
        peer.timers.onAnyAuthenticatedPacketTraversal(now);
        peer.timers.onAnyAuthenticatedPacketReceived();
        if (peer.awaitingReply) {
            peer.awaitingReply = false;
        }
        SessionKeys keys = requireNonNull(peer.handshake.deriveSession(), "keys");
        peer.handshakeIndexed = false;
        beginSession(peer, keys, receiver, now);
        handshakeComplete(peer);
        // Key confirmation: the responder holds our keypair as "next" until it hears from us.
        if (peer.staged.isEmpty()) {
            peer.staged.add(Unpooled.EMPTY_BUFFER);
        }
        flushStaged(peer, now, out);
    }

    private void receiveCookieReply(byte[] msg, long now, TunnelSink out) {
        Object entry = indices.get(getIntLE(msg, COOKIE_RECEIVER));
        PeerSession peer = entry instanceof PeerSession p ? p : entry instanceof Keypair k ? k.peer : null;
        if (peer == null) {
            drop(out, Drop.UNKNOWN_INDEX, null);
            return;
        }
        if (!peer.cookies.consumeReply(msg, now)) {
            drop(out, Drop.COOKIE_REPLY_INVALID, peer);
        }
    }

    private void receiveTransport(InetSocketAddress from, ByteBuf datagram, long now, TunnelSink out) {
        int start = datagram.readerIndex();
        int length = datagram.readableBytes();
        if (!(indices.get(datagram.getIntLE(start + TRANSPORT_RECEIVER)) instanceof Keypair keypair)) {
            drop(out, Drop.UNKNOWN_INDEX, null);
            return;
        }
        PeerSession peer = keypair.peer;
        if (now - keypair.createdNanos >= rejectAfterTime) {
            drop(out, Drop.KEYPAIR_EXPIRED, peer);
            return;
        }
        long counter = datagram.getLongLE(start + TRANSPORT_COUNTER);
        int plainLength = length - TRANSPORT_MIN_LENGTH;
        ByteBuf plain = alloc.buffer(Math.max(plainLength, 1));
        boolean opened = keypair.receiver.open(
                counter,
                view(datagram, start + TRANSPORT_HEADER_LENGTH, length - TRANSPORT_HEADER_LENGTH),
                plain.internalNioBuffer(0, plain.capacity()));
        if (!opened) {
            plain.release();
            drop(out, Drop.DECRYPT_FAILED, peer);
            return;
        }
        if (!keypair.replay.accept(counter)) {
            plain.release();
            drop(out, Drop.REPLAYED, peer);
            return;
        }
        plain.writerIndex(plainLength);
        // Authenticated from here on.
        if (keypair == peer.next) {
            forget(peer.previous);
            peer.previous = peer.current;
            peer.setCurrent(keypair);
            peer.next = null;
            handshakeComplete(peer);
            flushStaged(peer, now, out);
        }
        peer.endpoint = from;
        peer.rxBytes += length;
        keepKeyFreshReceiving(peer, now, out);
        peer.timers.onAnyAuthenticatedPacketTraversal(now);
        peer.timers.onAnyAuthenticatedPacketReceived();
        if (peer.awaitingReply) {
            peer.awaitingReply = false;
        }
        if (plainLength == 0) {
            plain.release();
            return;
        }
        peer.timers.onDataReceived(now);
        int packetLength = checkInbound(peer, plain, plainLength, out);
        if (packetLength < 0) {
            plain.release();
            return;
        }
        plain.writerIndex(packetLength);
        out.deliverToTun(peer.publicKey, plain);
    }

    /** Returns the inner packet's length without padding, or -1 after counting the drop. */
    private int checkInbound(PeerSession peer, ByteBuf plain, int available, TunnelSink out) {
        int version = (plain.getByte(0) & 0xff) >>> 4;
        int length;
        byte[] src;
        boolean ownDestination;
        if (version == 4 && available >= 20) {
            length = plain.getUnsignedShort(2);
            int headerLength = (plain.getByte(0) & 0x0f) * 4;
            if (headerLength < 20 || length < headerLength || length > available) {
                drop(out, Drop.INVALID_INNER_PACKET, peer);
                return -1;
            }
            plain.getBytes(12, scratch4);
            src = scratch4;
            int dst = plain.getInt(16);
            ownDestination = false;
            for (int own : ownV4) {
                ownDestination |= own == dst;
            }
        } else if (version == 6 && available >= 40) {
            length = 40 + plain.getUnsignedShort(4);
            if (length > available) {
                drop(out, Drop.INVALID_INNER_PACKET, peer);
                return -1;
            }
            plain.getBytes(8, scratch16);
            src = scratch16;
            ownDestination = false;
            for (byte[] own : ownV6) {
                boolean same = true;
                for (int i = 0; i < 16; i++) {
                    same &= plain.getByte(24 + i) == own[i];
                }
                ownDestination |= same;
            }
        } else {
            drop(out, Drop.INVALID_INNER_PACKET, peer);
            return -1;
        }
        if (!peer.allows(src)) {
            drop(out, Drop.SOURCE_NOT_ALLOWED, peer);
            return -1;
        }
        if (!ownDestination) {
            drop(out, Drop.DESTINATION_NOT_ALLOWED, peer);
            return -1;
        }
        return length;
    }

    // ================================================================ outbound (owner thread)

    /**
     * Encrypts one IP packet read from the TUN device to the peer its destination routes to, or
     * queues it (copied, bounded) while a handshake is made. The packet is borrowed, not released.
     */
    public void encapsulate(ByteBuf ipPacket, long nowNanos, TunnelSink out) {
        PeerSession peer = route(ipPacket);
        if (peer == null) {
            drop(out, Drop.NO_ROUTE, null);
            return;
        }
        Keypair keypair = sendableKeypair(peer, nowNanos);
        if (keypair != null && peer.staged.isEmpty()) {
            sendTransport(peer, keypair, ipPacket, nowNanos, out);
            keepKeyFreshSending(peer, nowNanos, out);
            return;
        }
        if (peer.endpoint == null) {
            drop(out, Drop.NO_ENDPOINT, peer);
            return;
        }
        stage(peer, ipPacket, out);
        flushStaged(peer, nowNanos, out);
    }

    /**
     * Starts a handshake with {@code peer} now unless one was sent within REKEY_TIMEOUT (e.g. ahead
     * of a connection); false when the peer is unknown or has no endpoint.
     */
    public boolean initiateHandshake(WireGuardKey peer, long nowNanos, TunnelSink out) {
        PeerSession session = peers.get(peer);
        if (session == null || session.endpoint == null) {
            return false;
        }
        sendInitiation(session, false, nowNanos, out);
        return true;
    }

    private @Nullable PeerSession route(ByteBuf packet) {
        int start = packet.readerIndex();
        int available = packet.readableBytes();
        if (available < 1) {
            return null;
        }
        int version = (packet.getByte(start) & 0xff) >>> 4;
        if (version == 4 && available >= 20) {
            int dst = packet.getInt(start + 16);
            PeerSession host = v4Hosts.get(dst);
            if (host != null) {
                return host;
            }
            packet.getBytes(start + 16, scratch4);
            return routeOther(scratch4);
        }
        if (version == 6 && available >= 40) {
            packet.getBytes(start + 24, scratch16);
            RouteEntry[] bucket = v6Hosts.get(RawPrefix.low32(scratch16));
            if (bucket != null) {
                for (RouteEntry route : bucket) {
                    if (route.prefix().contains(scratch16)) {
                        return route.peer();
                    }
                }
            }
            return routeOther(scratch16);
        }
        return null;
    }

    private @Nullable PeerSession routeOther(byte[] raw) {
        for (RouteEntry route : otherRoutes) {
            if (route.prefix().contains(raw)) {
                return route.peer();
            }
        }
        return null;
    }

    private @Nullable Keypair sendableKeypair(PeerSession peer, long now) {
        Keypair keypair = peer.current;
        if (keypair == null
                || now - keypair.createdNanos >= rejectAfterTime
                || Long.compareUnsigned(keypair.sendCounter, protocol.rejectAfterMessages()) >= 0) {
            return null;
        }
        return keypair;
    }

    private void stage(PeerSession peer, ByteBuf ipPacket, TunnelSink out) {
        int max = config.maxQueuedPacketsPerPeer();
        if (max == 0) {
            drop(out, Drop.QUEUE_FULL, peer);
            return;
        }
        while (peer.staged.size() >= max) {
            peer.staged.poll().release();
            drop(out, Drop.QUEUE_FULL, peer);
        }
        ByteBuf copy = alloc.buffer(ipPacket.readableBytes());
        copy.writeBytes(ipPacket, ipPacket.readerIndex(), ipPacket.readableBytes());
        peer.staged.add(copy);
    }

    private void flushStaged(PeerSession peer, long now, TunnelSink out) {
        if (peer.staged.isEmpty()) {
            return;
        }
        Keypair keypair = sendableKeypair(peer, now);
        if (keypair == null) {
            sendInitiation(peer, false, now, out);
            return;
        }
        ByteBuf packet;
        while ((packet = peer.staged.poll()) != null) {
            try {
                sendTransport(peer, keypair, packet, now, out);
            } finally {
                packet.release();
            }
        }
        keepKeyFreshSending(peer, now, out);
    }

    private void sendTransport(PeerSession peer, Keypair keypair, ByteBuf plaintext, long now, TunnelSink out) {
        InetSocketAddress endpoint = peer.endpoint;
        if (endpoint == null) {
            drop(out, Drop.NO_ENDPOINT, peer);
            return;
        }
        int length = plaintext.readableBytes();
        int padding = paddingFor(length, config.mtu());
        int total = TRANSPORT_HEADER_LENGTH + length + padding + 16;
        long counter = keypair.sendCounter++;
        ByteBuf datagram = alloc.buffer(total);
        datagram.writeIntLE(TYPE_TRANSPORT).writeIntLE(keypair.remoteIndex).writeLongLE(counter);
        ByteBuffer target = datagram.internalNioBuffer(TRANSPORT_HEADER_LENGTH, total - TRANSPORT_HEADER_LENGTH);
        ByteBuffer source = length == 0 ? EMPTY.duplicate() : view(plaintext, plaintext.readerIndex(), length);
        keypair.sender.seal(counter, source, padding, target);
        datagram.writerIndex(total);
        peer.timers.onAnyAuthenticatedPacketTraversal(now);
        peer.timers.onAnyAuthenticatedPacketSent();
        if (length > 0) {
            peer.timers.onDataSent(now);
            if (!peer.awaitingReply) {
                peer.awaitingReplySinceNanos = now;
                peer.awaitingReply = true;
            }
        }
        send(peer, endpoint, datagram, out);
    }

    /** Zero bytes that round the plaintext up to a multiple of 16, never past the MTU (wireguard-go). */
    static int paddingFor(int length, int mtu) {
        int last = length > mtu ? length % mtu : length;
        int padded = Math.min(mtu, (last + 15) & ~15);
        return Math.max(0, padded - last);
    }

    private void send(PeerSession peer, InetSocketAddress endpoint, ByteBuf datagram, TunnelSink out) {
        peer.txBytes += datagram.readableBytes();
        out.sendDatagram(endpoint, datagram);
    }

    // ================================================================ handshakes and sessions

    private void sendInitiation(PeerSession peer, boolean retry, long now, TunnelSink out) {
        if (!retry) {
            peer.timers.resetAttempts();
            peer.gaveUp = false;
        }
        if (peer.sentHandshake && now - peer.lastSentHandshakeNanos < rekeyTimeout) {
            return;
        }
        InetSocketAddress endpoint = peer.endpoint;
        if (endpoint == null) {
            return;
        }
        unindexHandshake(peer);
        int index = indices.insert(peer, config.random());
        byte[] msg = peer.handshake.createInitiation(
                index, Tai64n.of(config.wallClock().instant()), config.random());
        if (msg == null) {
            indices.remove(index, peer);
            return;
        }
        peer.handshakeIndex = index;
        peer.handshakeIndexed = true;
        peer.sentHandshake = true;
        peer.lastSentHandshakeNanos = now;
        peer.cookies.addMacs(msg, now);
        peer.timers.onAnyAuthenticatedPacketTraversal(now);
        peer.timers.onAnyAuthenticatedPacketSent();
        send(peer, endpoint, Unpooled.wrappedBuffer(msg), out);
        peer.timers.onHandshakeInitiated(now);
    }

    private void beginSession(PeerSession peer, SessionKeys keys, int index, long now) {
        Keypair keypair = new Keypair(peer, keys, now);
        if (!indices.replace(index, peer, keypair)) {
            indices.putIfAbsent(index, keypair);
        }
        if (keypair.initiator) {
            if (peer.next != null) {
                Keypair oldNext = peer.next;
                peer.next = null;
                forget(peer.previous);
                forget(peer.current);
                peer.previous = oldNext;
            } else {
                forget(peer.previous);
                peer.previous = peer.current;
            }
            peer.setCurrent(keypair);
        } else {
            forget(peer.next);
            peer.next = keypair;
            forget(peer.previous);
            peer.previous = null;
        }
        peer.timers.onSessionDerived(now);
    }

    private void handshakeComplete(PeerSession peer) {
        peer.timers.onHandshakeComplete();
        peer.sentLastMinuteHandshake = false;
        peer.gaveUp = false;
        peer.lastHandshake = config.wallClock().instant();
        peer.handshakes++;
    }

    private void keepKeyFreshSending(PeerSession peer, long now, TunnelSink out) {
        Keypair keypair = peer.current;
        if (keypair == null) {
            return;
        }
        if (Long.compareUnsigned(keypair.sendCounter, protocol.rekeyAfterMessages()) > 0
                || (keypair.initiator && now - keypair.createdNanos > rekeyAfterTime)) {
            sendInitiation(peer, false, now, out);
        }
    }

    private void keepKeyFreshReceiving(PeerSession peer, long now, TunnelSink out) {
        if (peer.sentLastMinuteHandshake) {
            return;
        }
        Keypair keypair = peer.current;
        if (keypair != null
                && keypair.initiator
                && now - keypair.createdNanos > rejectAfterTime - keepaliveTimeout - rekeyTimeout) {
            peer.sentLastMinuteHandshake = true;
            sendInitiation(peer, false, now, out);
        }
    }

    private void unindexHandshake(PeerSession peer) {
        if (peer.handshakeIndexed) {
            indices.remove(peer.handshakeIndex, peer);
            peer.handshakeIndexed = false;
        }
    }

    private void forget(@Nullable Keypair keypair) {
        if (keypair != null) {
            indices.remove(keypair.localIndex, keypair);
        }
    }

    private void zeroKeyMaterial(PeerSession peer) {
        forget(peer.previous);
        forget(peer.current);
        forget(peer.next);
        peer.previous = null;
        peer.setCurrent(null);
        peer.next = null;
        unindexHandshake(peer);
        peer.handshake.clear();
    }

    private void releaseStaged(PeerSession peer, @Nullable TunnelSink out) {
        ByteBuf packet;
        while ((packet = peer.staged.poll()) != null) {
            packet.release();
            if (out != null) {
                drop(out, Drop.HANDSHAKE_GAVE_UP, peer);
            }
        }
    }

    // ================================================================ timers (owner thread)

    /** Runs every peer's expired timers; call every {@link #TICK_INTERVAL_NANOS} or so. */
    public void tick(long nowNanos, TunnelSink out) {
        for (PeerSession peer : peers.values()) {
            int fired = peer.timers.expire(nowNanos);
            if (fired == 0) {
                continue;
            }
            if ((fired & PeerTimers.RETRANSMIT_HANDSHAKE) != 0) {
                if (peer.timers.countRetransmission(protocol.maxTimerHandshakes())) {
                    sendInitiation(peer, true, nowNanos, out);
                } else {
                    peer.gaveUp = true;
                    peer.timers.onGiveUp(nowNanos);
                    releaseStaged(peer, out);
                }
            }
            if ((fired & PeerTimers.SEND_KEEPALIVE) != 0) {
                sendKeepalive(peer, nowNanos, out);
                peer.timers.afterKeepaliveSent(nowNanos);
            }
            if ((fired & PeerTimers.NEW_HANDSHAKE) != 0) {
                sendInitiation(peer, false, nowNanos, out);
            }
            if ((fired & PeerTimers.ZERO_KEY_MATERIAL) != 0) {
                zeroKeyMaterial(peer);
            }
            if ((fired & PeerTimers.PERSISTENT_KEEPALIVE) != 0 && peer.timers.persistentKeepaliveNanos() > 0) {
                sendKeepalive(peer, nowNanos, out);
            }
        }
    }

    private void sendKeepalive(PeerSession peer, long now, TunnelSink out) {
        if (peer.staged.isEmpty()) {
            peer.staged.add(Unpooled.EMPTY_BUFFER);
        }
        flushStaged(peer, now, out);
    }

    // ================================================================ helpers

    private void drop(TunnelSink out, Drop reason, @Nullable PeerSession peer) {
        deviceDrops.incrementAndGet(reason.ordinal());
        if (peer != null) {
            peer.drops.incrementAndGet(reason.ordinal());
        }
        out.dropped(reason, peer == null ? null : peer.publicKey);
    }

    /** A ByteBuffer view of a region, without allocating when the buffer has a single NIO buffer. */
    private static ByteBuffer view(ByteBuf buf, int index, int length) {
        return buf.nioBufferCount() == 1 ? buf.internalNioBuffer(index, length) : buf.nioBuffer(index, length);
    }

    private static byte[] sourceBytes(InetSocketAddress from) {
        byte[] ip = from.getAddress().getAddress();
        byte[] out = new byte[ip.length + 2];
        System.arraycopy(ip, 0, out, 0, ip.length);
        out[ip.length] = (byte) (from.getPort() >>> 8);
        out[ip.length + 1] = (byte) from.getPort();
        return out;
    }

    private static int ipv4(byte[] raw) {
        return (raw[0] & 0xff) << 24 | (raw[1] & 0xff) << 16 | (raw[2] & 0xff) << 8 | (raw[3] & 0xff);
    }
}
