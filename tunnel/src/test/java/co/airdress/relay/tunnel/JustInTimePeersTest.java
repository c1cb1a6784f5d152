package co.airdress.relay.tunnel;

import static co.airdress.relay.tunnel.TunnelPair.SECOND;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.noise.Messages;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Peers created from a lookup when they handshake, bounded and evicted when idle; events; and the
 * re-attachment fast path: two PoPs sharing one key pair, the operator's packets moving from one
 * to the other. Byte arrays and a fake clock.
 */
class JustInTimePeersTest {

    private static final InetAddress POP_IP = InetAddress.ofLiteral("10.66.0.1");
    private static final InetSocketAddress VIP = new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 51820);

    private long now = 1_000 * SECOND;
    private final Instant epoch = Instant.parse("2026-11-22T00:00:00Z");
    private final InstantSource wall = () -> epoch.plusNanos(now);
    private final WireGuardKey popPrivate = WireGuardKeys.generatePrivateKey(TestPackets.deterministic(1));
    private final WireGuardKey popPublic = WireGuardKeys.publicKey(popPrivate);
    private final List<WireGuardEngine> engines = new ArrayList<>();

    /** The directory: key → peer settings. */
    private final Map<WireGuardKey, PeerConfig> directory = new HashMap<>();

    private final PeerLookup lookup = directory::get;

    @AfterEach
    void close() {
        engines.forEach(WireGuardEngine::close);
    }

    private WireGuardEngine pop(long seed, PeerPolicy policy) {
        WireGuardEngine e = new WireGuardEngine(config(popPrivate, POP_IP, seed), policy);
        e.peerLookup(lookup);
        engines.add(e);
        return e;
    }

    private TunnelConfig config(WireGuardKey key, InetAddress address, long seed) {
        return TunnelConfig.of(key, Set.of(address))
                .withAllocator(UnpooledByteBufAllocator.DEFAULT)
                .withRandom(TestPackets.deterministic(seed), wall);
    }

    /** An operator whose one peer is the network's key at the VIP; listed in the directory. */
    private final class Operator {
        final WireGuardKey publicKey;
        final String address;
        final WireGuardEngine engine;
        final RecordingSink sink = new RecordingSink();
        final InetSocketAddress endpoint;

        Operator(int n) {
            WireGuardKey priv = WireGuardKeys.generatePrivateKey(TestPackets.deterministic(100 + n));
            publicKey = WireGuardKeys.publicKey(priv);
            address = "10.66.1." + n;
            endpoint = new InetSocketAddress(InetAddress.ofLiteral("198.51.100." + n), 40000);
            engine = new WireGuardEngine(config(priv, InetAddress.ofLiteral(address), 200 + n));
            engines.add(engine);
            engine.addPeer(
                    new PeerConfig(popPublic, null, List.of(IpPrefix.parse("10.66.0.0/24")), VIP, Duration.ZERO));
            directory.put(publicKey, PeerConfig.of(publicKey, IpPrefix.parse(address + "/32")));
        }

        void send(int payload) {
            var buf = Unpooled.wrappedBuffer(TestPackets.ipv4(address, "10.66.0.1", payload));
            try {
                engine.encapsulate(buf, now, sink);
            } finally {
                buf.release();
            }
        }

        void receive(RecordingSink.Datagram d) {
            var buf = Unpooled.wrappedBuffer(d.bytes());
            try {
                engine.decapsulate(VIP, buf, now, sink);
            } finally {
                buf.release();
            }
        }
    }

    private void deliver(WireGuardEngine pop, RecordingSink sink, InetSocketAddress from, byte[] datagram) {
        var buf = Unpooled.wrappedBuffer(datagram.clone());
        try {
            pop.decapsulate(from, buf, now, sink);
        } finally {
            buf.release();
        }
    }

    /** Moves datagrams between an operator and a PoP until both are quiet. */
    private void pump(Operator op, WireGuardEngine pop, RecordingSink popSink) {
        while (!op.sink.sent.isEmpty() || !popSink.sent.isEmpty()) {
            for (RecordingSink.Datagram d : op.sink.take()) {
                deliver(pop, popSink, op.endpoint, d.bytes());
            }
            for (RecordingSink.Datagram d : popSink.take()) {
                op.receive(d);
            }
        }
    }

    @Test
    void aKeyTheLookupKnowsHandshakesAndGetsStateOnlyThen() {
        WireGuardEngine pop = pop(11, PeerPolicy.DEFAULT);
        List<PeerEvent> events = new ArrayList<>();
        pop.peerEvents(events::add);
        RecordingSink popSink = new RecordingSink();
        Operator op = new Operator(2);
        assertThat(pop.peers()).isEmpty();

        op.send(84);
        pump(op, pop, popSink);

        assertThat(popSink.takeDelivered())
                .singleElement()
                .satisfies(d -> assertThat(d.peer()).isEqualTo(op.publicKey));
        assertThat(pop.peers()).extracting(PeerConfig::publicKey).containsExactly(op.publicKey);
        assertThat(pop.justInTimePeers()).isEqualTo(1);
        assertThat(pop.hasLiveSession(op.publicKey, now)).isTrue();
        assertThat(events).singleElement().isInstanceOfSatisfying(PeerEvent.HandshakeCompleted.class, e -> {
            assertThat(e.peer()).isEqualTo(op.publicKey);
            assertThat(e.endpoint()).isEqualTo(op.endpoint);
            assertThat(e.localIndexes()).hasSize(1);
            assertThat(e.at()).isEqualTo(wall.instant());
        });
        // The index reported is the one the operator sends to.
        op.send(40);
        byte[] data = op.sink.take().getFirst().bytes();
        int receiver = (data[4] & 0xff) | (data[5] & 0xff) << 8 | (data[6] & 0xff) << 16 | (data[7] & 0xff) << 24;
        assertThat(((PeerEvent.HandshakeCompleted) events.getFirst())
                        .localIndexes()
                        .getFirst())
                .isEqualTo(receiver);
        // Allowed IPs come from the lookup: the PoP routes the operator's address to it.
        var reply = Unpooled.wrappedBuffer(TestPackets.ipv4("10.66.0.1", op.address, 60));
        try {
            pop.encapsulate(reply, now, popSink);
        } finally {
            reply.release();
        }
        assertThat(popSink.take())
                .singleElement()
                .satisfies(d -> assertThat(d.type()).isEqualTo(Messages.TYPE_TRANSPORT));
    }

    @Test
    void aKeyTheLookupDoesNotKnowGetsNoStateAndNoAnswer() {
        WireGuardEngine pop = pop(11, PeerPolicy.DEFAULT);
        RecordingSink popSink = new RecordingSink();
        Operator op = new Operator(2);
        directory.clear();

        op.send(84);
        pump(op, pop, popSink);

        assertThat(pop.peers()).isEmpty();
        assertThat(pop.justInTimePeers()).isZero();
        assertThat(popSink.takeDrops()).containsOnly(Drop.HANDSHAKE_INVALID);
        assertThat(op.engine.hasLiveSession(popPublic, now)).isFalse();
    }

    @Test
    void peersBeyondTheBoundAreRefusedUntilOneIsEvicted() {
        WireGuardEngine pop = pop(11, new PeerPolicy(1, Duration.ofSeconds(30), true));
        List<PeerEvent> events = new ArrayList<>();
        pop.peerEvents(events::add);
        RecordingSink popSink = new RecordingSink();
        Operator first = new Operator(2);
        Operator second = new Operator(3);

        first.send(84);
        pump(first, pop, popSink);
        second.send(84);
        pump(second, pop, popSink);

        assertThat(pop.peers()).extracting(PeerConfig::publicKey).containsExactly(first.publicKey);
        assertThat(pop.drops()).containsEntry(Drop.PEER_LIMIT, 1L);
        assertThat(second.engine.hasLiveSession(popPublic, now)).isFalse();

        // Idle past the timeout, and the session's keys past REJECT_AFTER_TIME: evicted.
        for (long end = now + 200 * SECOND; now < end; now += WireGuardEngine.TICK_INTERVAL_NANOS) {
            pop.tick(now, popSink);
        }
        popSink.take();
        assertThat(pop.peers()).isEmpty();
        assertThat(pop.justInTimePeers()).isZero();
        assertThat(events).last().isInstanceOfSatisfying(PeerEvent.Ended.class, e -> {
            assertThat(e.peer()).isEqualTo(first.publicKey);
            assertThat(e.reason()).isEqualTo(PeerEvent.Reason.IDLE);
        });

        // The freed place goes to the next handshake.
        second.engine.removePeer(popPublic);
        second.engine.addPeer(
                new PeerConfig(popPublic, null, List.of(IpPrefix.parse("10.66.0.0/24")), VIP, Duration.ZERO));
        second.send(84);
        pump(second, pop, popSink);
        assertThat(pop.peers()).extracting(PeerConfig::publicKey).containsExactly(second.publicKey);
        assertThat(popSink.takeDelivered())
                .last()
                .satisfies(d -> assertThat(d.peer()).isEqualTo(second.publicKey));
    }

    @Test
    void aPeerInUseIsNotEvictedAndARemovedOneIsTold() {
        WireGuardEngine pop = pop(11, new PeerPolicy(10, Duration.ofSeconds(30), true));
        List<PeerEvent> events = new ArrayList<>();
        pop.peerEvents(events::add);
        RecordingSink popSink = new RecordingSink();
        Operator op = new Operator(2);
        op.send(84);
        pump(op, pop, popSink);

        // Idle past the timeout but its keypair is young: kept.
        for (long end = now + 60 * SECOND; now < end; now += WireGuardEngine.TICK_INTERVAL_NANOS) {
            pop.tick(now, popSink);
        }
        assertThat(pop.peers()).hasSize(1);

        assertThat(pop.removePeer(op.publicKey)).isTrue();
        assertThat(pop.justInTimePeers()).isZero();
        assertThat(events)
                .last()
                .isInstanceOfSatisfying(
                        PeerEvent.Ended.class, e -> assertThat(e.reason()).isEqualTo(PeerEvent.Reason.REMOVED));
    }

    @Test
    void anInitiationThatDoesNotAuthenticateLeavesNoState() {
        WireGuardEngine pop = pop(11, PeerPolicy.DEFAULT);
        RecordingSink popSink = new RecordingSink();
        Operator op = new Operator(2);
        op.send(84);
        byte[] initiation = op.sink.take().getFirst().bytes();
        // The known key's initiation, replayed below the floor the lookup restores.
        PeerLookup withFloor = new PeerLookup() {
            @Override
            public @Nullable PeerConfig find(WireGuardKey key) {
                return directory.get(key);
            }

            @Override
            public byte[] replayFloor(WireGuardKey key) {
                return co.airdress.relay.tunnel.noise.Tai64n.of(wall.instant().plusSeconds(60));
            }
        };
        pop.peerLookup(withFloor);
        deliver(pop, popSink, op.endpoint, initiation);
        assertThat(popSink.take()).isEmpty();
        assertThat(popSink.takeDrops()).containsExactly(Drop.HANDSHAKE_REPLAYED);
        assertThat(pop.peers()).isEmpty();
        assertThat(pop.justInTimePeers()).isZero();
    }

    // ---------------------------------------------------------------- re-attachment

    /** PoP A holds the operator's session; its next data packet reaches PoP B. */
    private record Moved(Operator op, byte[] dataForA, int indexAtA) {}

    private Moved attachedToA(WireGuardEngine a) {
        RecordingSink aSink = new RecordingSink();
        Operator op = new Operator(2);
        op.send(84);
        pump(op, a, aSink);
        assertThat(aSink.takeDelivered()).hasSize(1);
        op.send(100);
        byte[] data = op.sink.take().getFirst().bytes();
        int index = (data[4] & 0xff) | (data[5] & 0xff) << 8 | (data[6] & 0xff) << 16 | (data[7] & 0xff) << 24;
        return new Moved(op, data, index);
    }

    @Test
    void anIndexIssuedElsewhereMakesThePopInitiateToTheSourceOnce() {
        WireGuardEngine a = pop(11, PeerPolicy.DEFAULT);
        WireGuardEngine b = pop(12, PeerPolicy.DEFAULT);
        Moved moved = attachedToA(a);
        b.indexResolver(index -> index == moved.indexAtA() ? moved.op().publicKey : null);
        RecordingSink bSink = new RecordingSink();

        deliver(b, bSink, moved.op().endpoint, moved.dataForA());
        deliver(b, bSink, moved.op().endpoint, moved.dataForA());

        List<RecordingSink.Datagram> sent = bSink.take();
        assertThat(sent).singleElement().satisfies(d -> {
            assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION);
            assertThat(d.to()).isEqualTo(moved.op().endpoint);
        });
        assertThat(b.reattachStats().triggered()).isEqualTo(1);
        // The operator answers; B's session is up and the operator's data flows through B.
        moved.op().receive(sent.getFirst());
        pump(moved.op(), b, bSink);
        assertThat(b.hasLiveSession(moved.op().publicKey, now)).isTrue();
        moved.op().send(60);
        pump(moved.op(), b, bSink);
        assertThat(bSink.takeDelivered()).isNotEmpty();
    }

    /**
     * A stranger learned the operator's index and floods it from its own addresses: it empties the
     * per-operator bucket and leaves an unanswered initiation in flight. The operator's own next
     * message, from the endpoint where the issuing PoP last saw it, is still answered with an
     * initiation at once, and the operator re-attaches.
     */
    @Test
    void aStrangerFloodingTheOperatorsIndexDoesNotHoldBackTheOperator() {
        WireGuardEngine a = pop(11, PeerPolicy.DEFAULT);
        WireGuardEngine b = pop(12, PeerPolicy.DEFAULT);
        Moved moved = attachedToA(a);
        b.indexResolver(new IndexResolver() {
            @Override
            public @Nullable WireGuardKey resolve(int index) {
                return index == moved.indexAtA() ? moved.op().publicKey : null;
            }

            @Override
            public boolean lastSeenAt(int index, InetSocketAddress source) {
                return index == moved.indexAtA() && source.equals(moved.op().endpoint);
            }
        });
        RecordingSink bSink = new RecordingSink();
        int toStrangers = 0;
        for (int i = 0; i < 1_000; i++) {
            now += SECOND / 1_000;
            InetSocketAddress stranger =
                    new InetSocketAddress(InetAddress.ofLiteral("203.0.113." + (i % 250 + 1)), 5000 + i);
            deliver(b, bSink, stranger, moved.dataForA());
            toStrangers += bSink.take().size();
        }
        assertThat(toStrangers).isPositive().isLessThanOrEqualTo(Reattachment.PER_PEER_BURST + 1);

        deliver(b, bSink, moved.op().endpoint, moved.dataForA());

        List<RecordingSink.Datagram> sent = bSink.take();
        assertThat(sent).singleElement().satisfies(d -> {
            assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION);
            assertThat(d.to()).isEqualTo(moved.op().endpoint);
        });
        moved.op().receive(sent.getFirst());
        pump(moved.op(), b, bSink);
        assertThat(b.hasLiveSession(moved.op().publicKey, now)).isTrue();
    }

    @Test
    void anIndexNoOneKnowsSendsNothing() {
        WireGuardEngine a = pop(11, PeerPolicy.DEFAULT);
        WireGuardEngine b = pop(12, PeerPolicy.DEFAULT);
        Moved moved = attachedToA(a);
        b.indexResolver(index -> null);
        RecordingSink bSink = new RecordingSink();

        deliver(b, bSink, moved.op().endpoint, moved.dataForA());

        assertThat(bSink.take()).isEmpty();
        assertThat(bSink.takeDrops()).containsExactly(Drop.UNKNOWN_INDEX);
        assertThat(b.peers()).isEmpty();
        assertThat(b.reattachStats().unresolved()).isEqualTo(1);
        assertThat(b.reattachStats().triggered()).isZero();
    }

    @Test
    void turnedOffTheFastPathSendsNothing() {
        WireGuardEngine a = pop(11, PeerPolicy.DEFAULT);
        WireGuardEngine b = pop(12, PeerPolicy.DEFAULT.withReattach(false));
        Moved moved = attachedToA(a);
        b.indexResolver(index -> moved.op().publicKey);
        RecordingSink bSink = new RecordingSink();

        deliver(b, bSink, moved.op().endpoint, moved.dataForA());

        assertThat(bSink.take()).isEmpty();
        assertThat(b.peers()).isEmpty();
    }

    @Test
    void aFloodOfIndexesFromManySourcesIsBoundedPerOperator() {
        WireGuardEngine b = pop(12, PeerPolicy.DEFAULT);
        Operator op = new Operator(2);
        b.indexResolver(index -> op.publicKey); // every index resolves: the worst case
        RecordingSink bSink = new RecordingSink();
        Random random = new Random(7);
        int packets = 10_000;
        long seconds = 10;
        int initiations = 0;
        for (int i = 0; i < packets; i++) {
            now += seconds * SECOND / packets;
            byte[] forged = forgedTransport(random);
            InetSocketAddress source = new InetSocketAddress(
                    InetAddress.ofLiteral("203.0.113." + (i % 250 + 1)), 1024 + random.nextInt(60000));
            deliver(b, bSink, source, forged);
            initiations += (int) bSink.take().stream()
                    .filter(d -> d.type() == Messages.TYPE_INITIATION)
                    .count();
        }
        long bound = Reattachment.PER_PEER_BURST + (long) (seconds * Reattachment.PER_PEER_PER_SECOND);
        assertThat(initiations).isPositive().isLessThanOrEqualTo((int) bound);
        WireGuardEngine.ReattachStats stats = b.reattachStats();
        assertThat(stats.triggered()).isEqualTo(initiations);
        assertThat(stats.limited()).isGreaterThanOrEqualTo(packets - bound);
    }

    @Test
    void aFloodFromOneSourceIsBoundedPerSourceWhateverTheOperators() {
        WireGuardEngine b = pop(12, PeerPolicy.DEFAULT);
        List<WireGuardKey> keys = new ArrayList<>();
        for (int n = 2; n < 102; n++) {
            keys.add(new Operator(n).publicKey);
        }
        Random random = new Random(9);
        b.indexResolver(index -> keys.get(Math.floorMod(index, keys.size())));
        RecordingSink bSink = new RecordingSink();
        InetSocketAddress source = new InetSocketAddress(InetAddress.ofLiteral("203.0.113.9"), 4444);
        int packets = 5_000;
        long seconds = 5;
        int initiations = 0;
        for (int i = 0; i < packets; i++) {
            now += seconds * SECOND / packets;
            deliver(b, bSink, source, forgedTransport(random));
            initiations += bSink.take().size();
        }
        long bound = Reattachment.PER_SOURCE_BURST + (long) (seconds * Reattachment.PER_SOURCE_PER_SECOND);
        assertThat(initiations).isPositive().isLessThanOrEqualTo((int) bound);
        assertThat(b.justInTimePeers()).isLessThanOrEqualTo((int) bound);
    }

    /** A transport message with a random receiver index: header, counter, an empty sealed payload. */
    private static byte[] forgedTransport(Random random) {
        byte[] msg = new byte[Messages.TRANSPORT_MIN_LENGTH];
        msg[0] = (byte) Messages.TYPE_TRANSPORT;
        byte[] rest = new byte[msg.length - 4];
        random.nextBytes(rest);
        System.arraycopy(rest, 0, msg, 4, rest.length);
        return msg;
    }
}
