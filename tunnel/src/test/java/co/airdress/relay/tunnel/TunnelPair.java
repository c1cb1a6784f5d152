package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.timers.ProtocolTimers;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Two cores wired back to back through a fake clock: "relay" (10.66.0.1, usually the responder)
 * and "operator" (10.66.0.2, knows the relay's endpoint). Datagrams move only when {@link #pump}
 * is called, so tests can inspect, drop, replay or re-address them.
 */
final class TunnelPair implements AutoCloseable {

    private static final List<TunnelPair> OPEN = new java.util.ArrayList<>();

    /** Closes every pair created so far (from an {@code @AfterEach}). */
    static void closeAll() {
        OPEN.forEach(TunnelPair::close);
        OPEN.clear();
    }

    @Override
    public void close() {
        relay.close();
        operator.close();
    }

    static final InetAddress RELAY_IP = InetAddress.ofLiteral("10.66.0.1");
    static final InetAddress OPERATOR_IP = InetAddress.ofLiteral("10.66.0.2");
    static final InetAddress RELAY_IP6 = InetAddress.ofLiteral("fd66::1");
    static final InetAddress OPERATOR_IP6 = InetAddress.ofLiteral("fd66::2");
    static final long SECOND = 1_000_000_000L;

    long now = 1_000 * SECOND;
    final Instant epoch = Instant.parse("2026-11-22T00:00:00Z");
    final InstantSource wall = () -> epoch.plusNanos(now);

    final WireGuardKey relayPrivate = WireGuardKeys.generatePrivateKey(TestPackets.deterministic(1));
    final WireGuardKey operatorPrivate = WireGuardKeys.generatePrivateKey(TestPackets.deterministic(2));
    final WireGuardKey relayPublic = WireGuardKeys.publicKey(relayPrivate);
    final WireGuardKey operatorPublic = WireGuardKeys.publicKey(operatorPrivate);

    InetSocketAddress relayEndpoint = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 51820);
    InetSocketAddress operatorEndpoint = new InetSocketAddress(InetAddress.ofLiteral("198.51.100.7"), 40000);

    final WireGuardEngine relay;
    final WireGuardEngine operator;
    final RecordingSink relaySink = new RecordingSink();
    final RecordingSink operatorSink = new RecordingSink();

    TunnelPair() {
        this(ProtocolTimers.STANDARD, UnaryOperator.identity(), UnaryOperator.identity(), UnaryOperator.identity());
    }

    TunnelPair(
            ProtocolTimers timers,
            UnaryOperator<TunnelConfig> relayConfig,
            UnaryOperator<PeerConfig> relaysViewOfOperator,
            UnaryOperator<PeerConfig> operatorsViewOfRelay) {
        relay = new WireGuardEngine(relayConfig.apply(config(relayPrivate, Set.of(RELAY_IP, RELAY_IP6), timers, 11)));
        operator = new WireGuardEngine(config(operatorPrivate, Set.of(OPERATOR_IP, OPERATOR_IP6), timers, 12));
        relay.addPeer(relaysViewOfOperator.apply(new PeerConfig(
                operatorPublic,
                null,
                List.of(IpPrefix.host(OPERATOR_IP), IpPrefix.host(OPERATOR_IP6)),
                null,
                java.time.Duration.ZERO)));
        operator.addPeer(operatorsViewOfRelay.apply(new PeerConfig(
                relayPublic,
                null,
                List.of(IpPrefix.parse("10.66.0.0/24"), IpPrefix.parse("fd66::/64")),
                relayEndpoint,
                java.time.Duration.ZERO)));
        OPEN.add(this);
    }

    private TunnelConfig config(WireGuardKey key, Set<InetAddress> addresses, ProtocolTimers timers, long seed) {
        return TunnelConfig.of(key, addresses)
                .withTimers(timers)
                .withAllocator(UnpooledByteBufAllocator.DEFAULT)
                .withRandom(TestPackets.deterministic(seed), wall);
    }

    /** Moves datagrams both ways until neither side has anything to send; returns how many moved. */
    int pump() {
        int moved = 0;
        while (!relaySink.sent.isEmpty() || !operatorSink.sent.isEmpty()) {
            for (RecordingSink.Datagram d : operatorSink.take()) {
                toRelay(d.bytes());
                moved++;
            }
            for (RecordingSink.Datagram d : relaySink.take()) {
                toOperator(d.bytes());
                moved++;
            }
        }
        return moved;
    }

    void toRelay(byte[] datagram) {
        toRelay(datagram, operatorEndpoint);
    }

    void toRelay(byte[] datagram, InetSocketAddress from) {
        var buf = Unpooled.wrappedBuffer(datagram.clone());
        try {
            relay.decapsulate(from, buf, now, relaySink);
        } finally {
            buf.release();
        }
    }

    void toOperator(byte[] datagram) {
        var buf = Unpooled.wrappedBuffer(datagram.clone());
        try {
            operator.decapsulate(relayEndpoint, buf, now, operatorSink);
        } finally {
            buf.release();
        }
    }

    void operatorSends(byte[] ipPacket) {
        var buf = Unpooled.wrappedBuffer(ipPacket.clone());
        try {
            operator.encapsulate(buf, now, operatorSink);
        } finally {
            buf.release();
        }
    }

    void relaySends(byte[] ipPacket) {
        var buf = Unpooled.wrappedBuffer(ipPacket.clone());
        try {
            relay.encapsulate(buf, now, relaySink);
        } finally {
            buf.release();
        }
    }

    void advance(long nanos) {
        now += nanos;
    }

    /** Advances in tick-sized steps, ticking both cores (but not pumping). */
    void tickFor(long nanos) {
        long end = now + nanos;
        while (now < end) {
            now = Math.min(end, now + WireGuardEngine.TICK_INTERVAL_NANOS);
            relay.tick(now, relaySink);
            operator.tick(now, operatorSink);
        }
    }

    /** Advances in tick-sized steps, ticking both cores and pumping after each step. */
    void runFor(long nanos) {
        long end = now + nanos;
        while (now < end) {
            tickFor(Math.min(WireGuardEngine.TICK_INTERVAL_NANOS, end - now));
            pump();
        }
    }

    /** Handshake started by the operator sending one packet to the relay; returns the packet. */
    byte[] establish() {
        byte[] packet = TestPackets.ipv4("10.66.0.2", "10.66.0.1", 84);
        operatorSends(packet);
        pump();
        return packet;
    }
}
