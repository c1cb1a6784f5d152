package co.airdress.relay.tunnel;

import static co.airdress.relay.tunnel.noise.Messages.*;
import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.noise.Handshake.InitiationHeader;
import co.airdress.relay.tunnel.noise.LocalIdentity;
import co.airdress.relay.tunnel.noise.Tai64n;
import co.airdress.relay.tunnel.timers.PeerTimers;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The WireGuard protocol engine, sans-IO (boringtun's {@code Tunn} shape, wireguard-go's
 * behaviour): feed it datagrams from UDP ({@link #decapsulate}), IP packets from the TUN device
 * ({@link #encapsulate}) and clock ticks ({@link #tick}); it answers through a {@link TunnelSink}.
 * It does no I/O, starts no thread and reads no clock: monotonic time is the {@code nowNanos}
 * argument (e.g. {@code System.nanoTime()}), wall time only stamps handshakes.
 *
 * <p>Its parts, each in its own file: {@link AllowedIps} routes outbound packets to peers,
 * {@link Outbound} seals them or queues them for a handshake, {@link HandshakeAdmission} gates
 * handshake messages (MAC1, cookies, rate limit), {@link Handshakes} holds handshake and keypair
 * state, {@link Keypair} seals and opens transport messages, {@link InboundCheck} vets decrypted
 * packets, {@link PeerSession} is one peer's state with what each authenticated packet does to it,
 * and {@link Drops} counts what is discarded. This class keeps the peers, dispatches received
 * messages and runs the timers.
 *
 * <h2>Peers just in time</h2>
 * Besides peers added explicitly, the engine creates a peer when a handshake initiation comes from
 * a key its {@link PeerLookup} knows: after the first step of Noise IK has recovered the
 * initiator's static key, and kept only if the initiation authenticates. Such peers are bounded
 * ({@link PeerPolicy#maxActivePeers}) and evicted when idle past {@link PeerPolicy#idleTimeout}
 * with no usable keypair. A transport message to an index this engine never issued, that the
 * {@link IndexResolver} knows, makes it initiate to the message's source at once, within per-peer
 * and per-source rate limits ({@link Reattachment}). Completed handshakes and ended peers are
 * told to a {@link PeerEvent.Listener}.
 *
 * <h2>Threading</h2>
 * One owner thread (e.g. the Netty event loop that reads the UDP socket and the TUN fd) calls
 * {@code decapsulate}, {@code encapsulate}, {@code tick}, {@code initiateHandshake},
 * {@code raiseReplayFloor} and the peer add / update / remove / apply methods; none of them locks. {@link #hasLiveSession}, {@link #isReachable},
 * {@link #peers}, {@link #stats} and {@link #drops} may be called from any thread: they read
 * volatile snapshots.
 *
 * <h2>Buffers</h2>
 * Input buffers are borrowed: the engine reads their readable bytes during the call and neither
 * retains nor releases them (a packet that must wait for a handshake is copied). Buffers given to
 * the sink are new ones from {@link TunnelConfig#allocator()}, owned by the sink.
 *
 * <h2>Isolation</h2>
 * A decrypted packet is delivered only if its source lies in the sending peer's allowed IPs and its
 * destination is one of {@link TunnelConfig#tunnelAddresses()}; the engine never forwards between
 * peers.
 */
public final class WireGuardEngine implements AutoCloseable {

    /** How often the owner should call {@link #tick}; timers are accurate to this. */
    public static final long TICK_INTERVAL_NANOS = 100_000_000L;

    private final TunnelConfig config;
    private final ProtocolTimers protocol;
    private final LocalIdentity identity;
    private final WireGuardKey publicKey;
    private final ByteBufAllocator alloc;
    private final long rejectAfterTime;
    /** KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: data unanswered this long ends a session's liveness. */
    private final long unansweredLimit;

    private final long initiationRate;

    private final Map<WireGuardKey, PeerSession> peers = new ConcurrentHashMap<>();
    private final AllowedIps<PeerSession> allowedIps = new AllowedIps<>();
    private final HandshakeAdmission admission;
    private final Handshakes handshakes;
    private final InboundCheck inbound;
    private final Drops drops = new Drops();
    private final Outbound outbound;

    private final PeerPolicy policy;
    private final long idleNanos;
    private volatile PeerLookup lookup = PeerLookup.NONE;
    private volatile PeerEvent.Listener events = PeerEvent.Listener.NONE;
    private final Reattachment reattachment;
    /** Peers created just in time that exist now; owner thread writes, any reads. */
    private volatile int justInTimePeers;
    /** The socket the datagram being decapsulated came in on; owner thread. */
    private int inboundSocket = -1;

    /** Static peers only ({@link #addPeer}); none created just in time until a lookup is set. */
    public WireGuardEngine(TunnelConfig config) {
        this(config, PeerPolicy.DEFAULT);
    }

    public WireGuardEngine(TunnelConfig config, PeerPolicy policy) {
        this.config = requireNonNull(config, "config");
        this.policy = requireNonNull(policy, "policy");
        this.idleNanos = policy.idleTimeout().toNanos();
        this.reattachment = new Reattachment(policy.reattach());
        this.protocol = config.timers();
        this.identity = new LocalIdentity(config.privateKey().unsafeBytes());
        this.publicKey = WireGuardKeys.publicKey(config.privateKey());
        this.alloc = config.allocator();
        this.rejectAfterTime = protocol.rejectAfterTime().toNanos();
        this.unansweredLimit =
                protocol.keepaliveTimeout().toNanos() + protocol.rekeyTimeout().toNanos();
        this.initiationRate = protocol.handshakeInitiationRate().toNanos();
        this.admission = new HandshakeAdmission(
                publicKey,
                protocol.cookieRefreshTime().toNanos(),
                config.handshakesPerSecondBeforeCookies(),
                config.ipv6SourcePrefix(),
                config.random());
        this.handshakes = new Handshakes(protocol, config.random(), config.wallClock());
        this.inbound = new InboundCheck(config.tunnelAddresses());
        this.outbound = new Outbound(handshakes, drops, config);
    }

    public WireGuardKey publicKey() {
        return publicKey;
    }

    public TunnelConfig config() {
        return config;
    }

    public PeerPolicy policy() {
        return policy;
    }

    /**
     * Where peers not added explicitly are found: a handshake from a key it knows creates the
     * peer's state then (within {@link PeerPolicy#maxActivePeers}); any thread.
     */
    public void peerLookup(PeerLookup peerLookup) {
        this.lookup = requireNonNull(peerLookup, "peerLookup");
    }

    /** Who resolves receiver indexes issued elsewhere, for re-attachment; any thread. */
    public void indexResolver(IndexResolver resolver) {
        reattachment.resolver(requireNonNull(resolver, "resolver"));
    }

    /** Turns the re-attachment fast path on or off; any thread. */
    public void reattach(boolean enabled) {
        reattachment.enabled(enabled);
    }

    /**
     * Where handshakes completed and peers ended are told, on the owner thread (the listener must
     * queue, never block); any thread.
     */
    public void peerEvents(PeerEvent.Listener listener) {
        this.events = requireNonNull(listener, "listener");
        handshakes.events = listener;
    }

    // ================================================================ peers (owner thread)

    /** Adds a peer; its allowed IPs must not overlap another peer's host routes. */
    public void addPeer(PeerConfig peerConfig) {
        addPeer(peerConfig, false);
    }

    /**
     * Adds a peer as if its handshake had created it (e.g. one remembered across a restart): it
     * counts against {@link PeerPolicy#maxActivePeers} and is evicted when idle. False when the
     * bound is reached or the key is already a peer.
     */
    public boolean addJustInTime(PeerConfig peerConfig, long nowNanos) {
        requireNonNull(peerConfig, "peerConfig");
        if (justInTimePeers >= policy.maxActivePeers() || peers.containsKey(peerConfig.publicKey())) {
            return false;
        }
        addPeer(peerConfig, true).lastActiveNanos = nowNanos;
        return true;
    }

    private PeerSession addPeer(PeerConfig peerConfig, boolean justInTime) {
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
                new PeerTimers(protocol, peerConfig.persistentKeepalive().toNanos(), config.random()),
                justInTime);
        try {
            allowedIps.add(peer, peerConfig.allowedIps());
        } catch (RuntimeException e) {
            peer.handshake.destroy();
            throw e;
        }
        peers.put(key, peer);
        if (justInTime) {
            justInTimePeers++;
        }
        return peer;
    }

    /** Peers created just in time that exist now (at most {@link PeerPolicy#maxActivePeers}); any thread. */
    public int justInTimePeers() {
        return justInTimePeers;
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
        allowedIps.replace(peer, peer.config.allowedIps(), peerConfig.allowedIps());
        peer.reconfigure(peerConfig);
    }

    /** Removes a peer, forgetting its sessions and discarding its queued packets. */
    public boolean removePeer(WireGuardKey key) {
        requireNonNull(key, "key");
        return removePeer(key, PeerEvent.Reason.REMOVED, true);
    }

    private boolean removePeer(WireGuardKey key, PeerEvent.Reason reason, boolean tell) {
        PeerSession peer = peers.remove(key);
        if (peer == null) {
            return false;
        }
        if (peer.justInTime) {
            justInTimePeers--;
        }
        allowedIps.remove(peer, peer.config.allowedIps());
        handshakes.zeroKeyMaterial(peer);
        peer.handshake.destroy();
        peer.timers.cancelAll();
        outbound.releaseStaged(peer, null);
        PeerEvent.Listener listener = events;
        if (tell && listener != PeerEvent.Listener.NONE) {
            listener.onPeerEvent(
                    new PeerEvent.Ended(key, reason, config.wallClock().instant()));
        }
        return true;
    }

    /**
     * Raises the peer's replay floor to {@code tai64n} (a TAI64N timestamp, 12 bytes), unless its
     * own is later: initiations not newer are refused as {@link Drop#HANDSHAKE_REPLAYED}. A device
     * restarted with the floors it had ({@link PeerStats#latestInitiation}) refuses initiations
     * captured before the restart. False when the peer is unknown.
     */
    public boolean raiseReplayFloor(WireGuardKey peer, byte[] tai64n) {
        requireNonNull(peer, "peer");
        requireNonNull(tai64n, "tai64n");
        PeerSession session = peers.get(peer);
        if (session == null) {
            return false;
        }
        session.handshake.raiseReplayFloor(tai64n);
        byte[] floor = session.handshake.lastTimestamp();
        if (Tai64n.after(floor, new byte[Tai64n.LENGTH])) {
            session.latestInitiation = floor;
        }
        return true;
    }

    /** Removes, adds and updates peers as {@code changes} says; other peers are not touched. */
    public void apply(PeerChanges changes) {
        requireNonNull(changes, "changes");
        changes.removed().forEach(this::removePeer);
        changes.added().forEach(this::addPeer);
        changes.updated().forEach(this::updatePeer);
    }

    /** Removes every peer: releases queued packets and forgets all keys. Owner thread. */
    @Override
    public void close() {
        for (WireGuardKey key : List.copyOf(peers.keySet())) {
            removePeer(key);
        }
    }

    /** Every peer's configuration as last added or updated; any thread. */
    public List<PeerConfig> peers() {
        return peers.values().stream().map(p -> p.config).toList();
    }

    // ================================================================ queries (any thread)

    /**
     * Whether {@code peer} has a session usable right now: a confirmed keypair younger than
     * REJECT_AFTER_TIME, and no data sent to it that went unanswered (nothing authenticated
     * received) for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s: when WireGuard itself gives up on the
     * session and starts a new handshake). {@code nowNanos} is on the owner's clock.
     */
    public boolean hasPeer(WireGuardKey peer) {
        return peers.containsKey(peer);
    }

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

    /** Nothing authenticated either way for the idle timeout, and no keypair that may still be used. */
    private boolean idle(PeerSession peer, long now) {
        if (now - peer.lastActiveNanos <= idleNanos) {
            return false;
        }
        return !usable(peer.current, now) && !usable(peer.next, now) && !usable(peer.previous, now);
    }

    private boolean usable(@Nullable Keypair keypair, long now) {
        return keypair != null && now - keypair.createdNanos < rejectAfterTime;
    }

    private boolean live(PeerSession session, long nowNanos) {
        return session.isLive(nowNanos, rejectAfterTime, unansweredLimit);
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
        return drops.snapshot();
    }

    /**
     * The re-attachment fast path's counts since creation.
     *
     * @param triggered initiations sent to the source of a message with an index issued elsewhere
     * @param limited such messages refused by the per-peer or per-source rate limit
     * @param unresolved such messages whose index no one knows, or whose peer cannot be created
     */
    public record ReattachStats(long triggered, long limited, long unresolved) {}

    public ReattachStats reattachStats() {
        return new ReattachStats(
                reattachment.triggered.get(), reattachment.limited.get(), reattachment.unresolved.get());
    }

    // ================================================================ inbound (owner thread)

    /** Processes one UDP datagram from {@code from}; the datagram is borrowed, not released. */
    public void decapsulate(InetSocketAddress from, ByteBuf datagram, long nowNanos, TunnelSink out) {
        decapsulate(from, -1, datagram, nowNanos, out);
    }

    /**
     * As {@link #decapsulate(InetSocketAddress, ByteBuf, long, TunnelSink)} for a datagram that came
     * in on socket {@code socket} (the device's numbering, -1 when it has one socket): what is sent
     * to the peer in answer, and later, goes out of the socket its packets last came in on
     * ({@link TunnelSink#sendDatagram(int, InetSocketAddress, ByteBuf)}), so from the address it
     * sent to.
     */
    public void decapsulate(InetSocketAddress from, int socket, ByteBuf datagram, long nowNanos, TunnelSink out) {
        inboundSocket = socket;
        try {
            dispatch(from, datagram, nowNanos, out);
        } finally {
            inboundSocket = -1;
        }
    }

    private void dispatch(InetSocketAddress from, ByteBuf datagram, long nowNanos, TunnelSink out) {
        int length = datagram.readableBytes();
        int type = length < 4 ? -1 : datagram.getIntLE(datagram.readerIndex());
        switch (type) {
            case TYPE_TRANSPORT -> {
                if (length < TRANSPORT_MIN_LENGTH) {
                    drops.count(out, Drop.MALFORMED, null);
                } else {
                    receiveTransport(from, datagram, nowNanos, out);
                }
            }
            case TYPE_INITIATION -> {
                if (length != INITIATION_LENGTH) {
                    drops.count(out, Drop.MALFORMED, null);
                } else {
                    receiveInitiation(from, ByteBufUtil.getBytes(datagram), nowNanos, out);
                }
            }
            case TYPE_RESPONSE -> {
                if (length != RESPONSE_LENGTH) {
                    drops.count(out, Drop.MALFORMED, null);
                } else {
                    receiveResponse(from, ByteBufUtil.getBytes(datagram), nowNanos, out);
                }
            }
            case TYPE_COOKIE_REPLY -> {
                if (length != COOKIE_REPLY_LENGTH) {
                    drops.count(out, Drop.MALFORMED, null);
                } else {
                    receiveCookieReply(ByteBufUtil.getBytes(datagram), nowNanos, out);
                }
            }
            default -> drops.count(out, Drop.MALFORMED, null);
        }
    }

    private void receiveInitiation(InetSocketAddress from, byte[] msg, long now, TunnelSink out) {
        Drop refused = admission.check(from, inboundSocket, msg, getIntLE(msg, INIT_SENDER), now, out);
        if (refused != null) {
            drops.count(out, refused, null);
            return;
        }
        InitiationHeader header = Handshake.openInitiation(identity, msg);
        if (header == null) {
            drops.count(out, Drop.HANDSHAKE_INVALID, null);
            return;
        }
        // The key is not authenticated yet (anyone can encrypt any key): a peer created for it
        // stays only if the initiation then authenticates.
        WireGuardKey key = WireGuardKey.of(header.remoteStatic());
        PeerSession peer = peers.get(key);
        boolean created = false;
        if (peer == null) {
            Drop notCreated = createJustInTime(key, now);
            peer = notCreated == null ? peers.get(key) : null;
            if (peer == null) {
                header.wipe();
                drops.count(out, notCreated == null ? Drop.HANDSHAKE_INVALID : notCreated, null);
                return;
            }
            created = true;
        }
        Drop outcome = switch (peer.handshake.consumeInitiation(header, msg, now, initiationRate)) {
            case ACCEPTED -> null;
            case REPLAYED -> Drop.HANDSHAKE_REPLAYED;
            case FLOOD -> Drop.HANDSHAKE_FLOOD;
            case INVALID -> Drop.HANDSHAKE_INVALID;
        };
        if (outcome != null) {
            if (created) {
                removePeer(key, PeerEvent.Reason.REMOVED, false);
            }
            drops.count(out, outcome, created ? null : peer);
            return;
        }
        peer.latestInitiation = peer.handshake.lastTimestamp();
        peer.authenticatedReceived(from, inboundSocket, msg.length, now);
        byte[] response = handshakes.respond(peer, now);
        if (response == null) {
            drops.count(out, Drop.HANDSHAKE_INVALID, peer);
            return;
        }
        peer.authenticatedSent(now);
        peer.send(from, Unpooled.wrappedBuffer(response), out);
    }

    private void receiveResponse(InetSocketAddress from, byte[] msg, long now, TunnelSink out) {
        Drop refused = admission.check(from, inboundSocket, msg, getIntLE(msg, RESP_SENDER), now, out);
        if (refused != null) {
            drops.count(out, refused, null);
            return;
        }
        int receiver = getIntLE(msg, RESP_RECEIVER);
        if (!(handshakes.byIndex(receiver) instanceof PeerSession peer)) {
            drops.count(out, Drop.UNKNOWN_INDEX, null);
            return;
        }
        if (!peer.handshake.consumeResponse(msg)) {
            drops.count(out, Drop.HANDSHAKE_INVALID, peer);
            return;
        }
        peer.authenticatedReceived(from, inboundSocket, msg.length, now);
        handshakes.completeInitiation(peer, receiver, from, now);
        // Key confirmation: the responder holds our keypair as "next" until it hears from us.
        outbound.sendKeepalive(peer, now, out);
    }

    private void receiveCookieReply(byte[] msg, long now, TunnelSink out) {
        Object entry = handshakes.byIndex(getIntLE(msg, COOKIE_RECEIVER));
        PeerSession peer = entry instanceof PeerSession p ? p : entry instanceof Keypair k ? k.peer : null;
        if (peer == null) {
            drops.count(out, Drop.UNKNOWN_INDEX, null);
            return;
        }
        if (!peer.cookies.consumeReply(msg, now)) {
            drops.count(out, Drop.COOKIE_REPLY_INVALID, peer);
        }
    }

    private void receiveTransport(InetSocketAddress from, ByteBuf datagram, long now, TunnelSink out) {
        int start = datagram.readerIndex();
        int receiver = datagram.getIntLE(start + TRANSPORT_RECEIVER);
        Object entry = handshakes.byIndex(receiver);
        if (!(entry instanceof Keypair keypair)) {
            drops.count(out, Drop.UNKNOWN_INDEX, null);
            if (entry == null) {
                reattach(receiver, from, now, out);
            }
            return;
        }
        PeerSession peer = keypair.peer;
        if (now - keypair.createdNanos >= rejectAfterTime) {
            drops.count(out, Drop.KEYPAIR_EXPIRED, peer);
            return;
        }
        long counter = datagram.getLongLE(start + TRANSPORT_COUNTER);
        ByteBuf plain = keypair.open(datagram, counter, alloc);
        if (plain == null) {
            drops.count(out, Drop.DECRYPT_FAILED, peer);
            return;
        }
        if (!keypair.replay.accept(counter)) {
            plain.release();
            drops.count(out, Drop.REPLAYED, peer);
            return;
        }
        // Authenticated from here on.
        if (handshakes.confirm(keypair, from)) {
            outbound.flushStaged(peer, now, out);
        }
        peer.authenticatedReceived(from, inboundSocket, datagram.readableBytes(), now);
        handshakes.keepFreshReceiving(peer, now, out);
        int plainLength = plain.readableBytes();
        if (plainLength == 0) {
            plain.release();
            return;
        }
        peer.timers.onDataReceived(now);
        Drop refused = inbound.check(peer, plain, plainLength);
        if (refused != null) {
            plain.release();
            drops.count(out, refused, peer);
            return;
        }
        plain.writerIndex(InboundCheck.length(plain));
        out.deliverToTun(peer.publicKey, plain);
    }

    /**
     * A peer created from the lookup for {@code key} (registered, counted), or why not: null when
     * it was created; {@link Drop#HANDSHAKE_INVALID} when the key is unknown or its allowed IPs
     * clash with another peer's; {@link Drop#PEER_LIMIT} when the bound is reached.
     */
    private @Nullable Drop createJustInTime(WireGuardKey key, long now) {
        PeerLookup peerLookup = lookup;
        if (peerLookup == PeerLookup.NONE || key.equals(publicKey)) {
            return Drop.HANDSHAKE_INVALID;
        }
        PeerConfig found = peerLookup.find(key);
        if (found == null || !found.publicKey().equals(key)) {
            return Drop.HANDSHAKE_INVALID;
        }
        if (justInTimePeers >= policy.maxActivePeers()) {
            return Drop.PEER_LIMIT;
        }
        PeerSession peer;
        try {
            peer = addPeer(found, true);
        } catch (IllegalArgumentException e) {
            return Drop.HANDSHAKE_INVALID; // its address is another live peer's (a stale one)
        }
        peer.lastActiveNanos = now;
        byte[] floor = peerLookup.replayFloor(key);
        if (floor != null) {
            raiseReplayFloor(key, floor);
        }
        return null;
    }

    /**
     * A transport message to an index this device never issued: if the resolver knows whose it
     * is and the rate limits allow, initiate a handshake to the message's source now (the peer's
     * session is held by another device of the network). The peer's own endpoint stays until the
     * handshake authenticates it.
     */
    private void reattach(int index, InetSocketAddress from, long now, TunnelSink out) {
        WireGuardKey key = reattachment.admit(index, from, now);
        if (key == null) {
            return;
        }
        PeerSession peer = peers.get(key);
        if (peer == null) {
            if (createJustInTime(key, now) != null) {
                reattachment.countUnresolved();
                return;
            }
            peer = requireNonNull(peers.get(key), "peer");
        }
        if (handshakes.initiateTo(peer, from, inboundSocket, false, now, out)) {
            reattachment.countTriggered();
        }
    }

    // ================================================================ outbound (owner thread)

    /**
     * Encrypts one IP packet read from the TUN device to the peer its destination routes to, or
     * queues it (copied, bounded) while a handshake is made. The packet is borrowed, not released.
     */
    public void encapsulate(ByteBuf ipPacket, long nowNanos, TunnelSink out) {
        PeerSession peer = allowedIps.lookup(ipPacket);
        if (peer == null) {
            drops.count(out, Drop.NO_ROUTE, null);
            return;
        }
        outbound.send(peer, ipPacket, nowNanos, out);
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
        handshakes.initiate(session, false, nowNanos, out);
        return true;
    }

    // ================================================================ timers (owner thread)

    /** Runs every peer's expired timers; call every {@link #TICK_INTERVAL_NANOS} or so. */
    public void tick(long nowNanos, TunnelSink out) {
        for (PeerSession peer : peers.values()) {
            if (peer.justInTime && idle(peer, nowNanos)) {
                removePeer(peer.publicKey, PeerEvent.Reason.IDLE, true);
                continue;
            }
            int fired = peer.timers.expire(nowNanos);
            if (fired == 0) {
                continue;
            }
            if ((fired & PeerTimers.RETRANSMIT_HANDSHAKE) != 0) {
                if (peer.timers.countRetransmission(protocol.maxTimerHandshakes())) {
                    handshakes.initiate(peer, true, nowNanos, out);
                } else {
                    peer.gaveUp = true;
                    peer.timers.onGiveUp(nowNanos);
                    outbound.releaseStaged(peer, out);
                }
            }
            if ((fired & PeerTimers.SEND_KEEPALIVE) != 0) {
                outbound.sendKeepalive(peer, nowNanos, out);
                peer.timers.afterKeepaliveSent(nowNanos);
            }
            if ((fired & PeerTimers.NEW_HANDSHAKE) != 0) {
                handshakes.initiate(peer, false, nowNanos, out);
            }
            if ((fired & PeerTimers.ZERO_KEY_MATERIAL) != 0) {
                handshakes.zeroKeyMaterial(peer);
            }
            if ((fired & PeerTimers.PERSISTENT_KEEPALIVE) != 0 && peer.timers.persistentKeepaliveNanos() > 0) {
                outbound.sendKeepalive(peer, nowNanos, out);
            }
        }
    }
}
