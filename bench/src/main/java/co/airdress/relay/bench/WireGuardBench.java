package co.airdress.relay.bench;

import co.airdress.relay.tunnel.Drop;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.TunnelConfig;
import co.airdress.relay.tunnel.TunnelSink;
import co.airdress.relay.tunnel.WireGuardEngine;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The sans-IO WireGuard engine in memory: two {@link WireGuardEngine}s ("relay" and "operator")
 * whose session is made in {@link Pair#Pair} by real handshake messages passed between their sinks.
 *
 * <ul>
 *   <li>{@code seal}: the relay encapsulates one 1420-byte IPv4 packet (the TUN MTU) into a
 *       1452-byte transport datagram; the sink releases it.
 *   <li>{@code open}: the operator decapsulates one such datagram and the sink releases the
 *       delivered packet. The replay window refuses a datagram twice (after decrypting it, so a
 *       replayed one would cost the same but take the drop path), so every invocation opens a fresh
 *       batch of {@value #OPEN_BATCH} datagrams sealed in order in an invocation-level setup. The
 *       time excludes that setup; {@code -prof gc}'s B/op does not (it counts the thread's bytes
 *       over the iteration), so open's own B/op is open's figure minus seal's.
 *   <li>{@code handshake}: the operator, as responder, consumes one initiation (MAC1, the
 *       Noise IK DH operations, TAI64N and flood checks) and produces the response and the new
 *       keypair. Batches of {@value #HANDSHAKE_BATCH} fresh initiations are made in an
 *       invocation-level setup by the relay with an injected wall clock one second apart (the
 *       responder accepts only strictly newer TAI64N timestamps) and a monotonic time 6 s apart
 *       (REKEY_TIMEOUT between initiations); the responder's monotonic time advances 25 ms per
 *       initiation, past the 20 ms flood interval, which is also 40 handshake messages per
 *       simulated second: below the cookie threshold (256/s), so no MAC2 is asked. B/op again
 *       includes the setup: subtract {@code initiate}'s.
 *   <li>{@code initiate}: the relay creating one initiation (what the setup of {@code handshake}
 *       does), for the initiator's cost and to separate the allocations.
 *   <li>{@code jdkSeal}: the baseline: the JDK's ChaCha20-Poly1305 on byte arrays, re-initialised
 *       with a new nonce and sealing 1420 bytes, as the tunnel's {@code TransportCipher} did until
 *       it moved to the JDK's ChaCha20 stream plus its own Poly1305 (the JDK's Poly1305 is not
 *       intrinsified without AVX-512 IFMA; see tunnel/README.md).
 * </ul>
 *
 * <p>The tunnels' monotonic time is fixed for seal and open, so no timer (rekey after 120 s,
 * reject after 180 s) fires however long the run. Buffers come from a pooled heap allocator, as
 * in {@code WireGuardDevice}.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * WireGuardBench -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class WireGuardBench {

    static final int PACKET = 1420;
    static final int OPEN_BATCH = 1024;
    static final int HANDSHAKE_BATCH = 32;

    private static final InetAddress RELAY_IP = address(100, 96, 0, 1);
    private static final InetAddress OPERATOR_IP = address(100, 96, 0, 10);
    private static final InetSocketAddress RELAY_UDP = new InetSocketAddress(address(192, 0, 2, 1), 51820);
    private static final InetSocketAddress OPERATOR_UDP = new InetSocketAddress(address(192, 0, 2, 10), 51820);

    /** A wall clock the benchmark moves by hand (TAI64N timestamps must keep increasing). */
    static final class ManualClock implements InstantSource {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Keeps the last datagram or packet handed over; releases the one before. */
    static final class CapturingSink implements TunnelSink {
        @Nullable
        ByteBuf datagram;

        @Nullable
        ByteBuf packet;

        long bytes;
        int drops;

        @Override
        public void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram) {
            if (this.datagram != null) {
                this.datagram.release();
            }
            this.datagram = datagram;
        }

        @Override
        public void deliverToTun(WireGuardKey peer, ByteBuf ipPacket) {
            if (packet != null) {
                packet.release();
            }
            packet = ipPacket;
        }

        @Override
        public void dropped(Drop reason, @Nullable WireGuardKey peer) {
            drops++;
        }

        ByteBuf takeDatagram() {
            ByteBuf out = datagram;
            if (out == null) {
                throw new IllegalStateException("no datagram was sent");
            }
            datagram = null;
            return out;
        }

        void releaseAll() {
            if (datagram != null) {
                datagram.release();
                datagram = null;
            }
            if (packet != null) {
                packet.release();
                packet = null;
            }
        }
    }

    /** A sink that only counts and releases: the measured loops' sink. */
    static final class ReleasingSink implements TunnelSink {
        long bytes;
        int drops;

        @Override
        public void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram) {
            bytes += datagram.readableBytes();
            datagram.release();
        }

        @Override
        public void deliverToTun(WireGuardKey peer, ByteBuf ipPacket) {
            bytes += ipPacket.readableBytes();
            ipPacket.release();
        }

        @Override
        public void dropped(Drop reason, @Nullable WireGuardKey peer) {
            drops++;
        }
    }

    /** Two tunnels with a confirmed session, made by a real handshake. */
    static final class Pair {
        final ManualClock relayClock = new ManualClock();
        final WireGuardEngine relay;
        final WireGuardEngine operator;
        final long now = System.nanoTime();

        Pair() {
            SecureRandom random = new SecureRandom();
            PooledByteBufAllocator heap = new PooledByteBufAllocator(false);
            WireGuardKey relayKey = WireGuardKeys.generatePrivateKey(random);
            WireGuardKey operatorKey = WireGuardKeys.generatePrivateKey(random);
            relay = new WireGuardEngine(TunnelConfig.of(relayKey, Set.of(RELAY_IP))
                    .withAllocator(heap)
                    .withRandom(random, relayClock));
            operator = new WireGuardEngine(TunnelConfig.of(operatorKey, Set.of(OPERATOR_IP))
                    .withAllocator(heap)
                    .withRandom(random, InstantSource.system()));
            relay.addPeer(PeerConfig.of(operator.publicKey(), IpPrefix.host(OPERATOR_IP))
                    .withEndpoint(OPERATOR_UDP));
            operator.addPeer(
                    PeerConfig.of(relay.publicKey(), IpPrefix.host(RELAY_IP)).withEndpoint(RELAY_UDP));

            CapturingSink toOperator = new CapturingSink();
            CapturingSink toRelay = new CapturingSink();
            check(relay.initiateHandshake(operator.publicKey(), now, toOperator), "initiation");
            deliver(operator, RELAY_UDP, toOperator.takeDatagram(), toRelay); // -> response
            deliver(relay, OPERATOR_UDP, toRelay.takeDatagram(), toOperator); // -> keepalive (confirmation)
            deliver(operator, RELAY_UDP, toOperator.takeDatagram(), toRelay);
            check(relay.hasLiveSession(operator.publicKey(), now), "relay session");
            check(operator.hasLiveSession(relay.publicKey(), now), "operator session");
            check(toOperator.drops + toRelay.drops == 0, "no drops during the handshake");
            toOperator.releaseAll();
            toRelay.releaseAll();
        }

        private void deliver(WireGuardEngine to, InetSocketAddress from, ByteBuf datagram, TunnelSink sink) {
            try {
                to.decapsulate(from, datagram, now, sink);
            } finally {
                datagram.release();
            }
        }

        void close() {
            relay.close();
            operator.close();
        }
    }

    /** A 1420-byte IPv4/UDP packet from the relay's tunnel address to the operator's. */
    static ByteBuf ipv4Packet(InetAddress src, InetAddress dst) {
        ByteBuf packet = Unpooled.buffer(PACKET);
        packet.writeByte(0x45).writeByte(0).writeShort(PACKET).writeInt(0);
        packet.writeByte(64).writeByte(17).writeShort(0);
        packet.writeBytes(src.getAddress()).writeBytes(dst.getAddress());
        packet.writeShort(40000).writeShort(5201).writeShort(PACKET - 20).writeShort(0);
        for (int i = packet.writerIndex(); i < PACKET; i++) {
            packet.writeByte(i);
        }
        return packet;
    }

    // ================================================================ seal

    @State(Scope.Thread)
    public static class SealState {
        Pair pair;
        ByteBuf packet;
        final ReleasingSink sink = new ReleasingSink();

        @Setup(Level.Trial)
        public void setUp() {
            pair = new Pair();
            packet = ipv4Packet(RELAY_IP, OPERATOR_IP);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(sink.drops == 0, "no drops while sealing, got " + sink.drops);
            pair.close();
        }
    }

    @Benchmark
    public long seal(SealState s) {
        s.pair.relay.encapsulate(s.packet, s.pair.now, s.sink);
        return s.sink.bytes;
    }

    // ================================================================ open

    @State(Scope.Thread)
    public static class OpenState {
        Pair pair;
        ByteBuf packet;
        final ByteBuf[] datagrams = new ByteBuf[OPEN_BATCH];
        final CapturingSink sealed = new CapturingSink();
        final ReleasingSink sink = new ReleasingSink();

        @Setup(Level.Trial)
        public void setUp() {
            pair = new Pair();
            packet = ipv4Packet(RELAY_IP, OPERATOR_IP);
            for (int i = 0; i < OPEN_BATCH; i++) {
                datagrams[i] = Unpooled.buffer(PACKET + 32);
            }
        }

        /** Seals the next batch, in counter order, into the reused datagram buffers. */
        @Setup(Level.Invocation)
        public void sealBatch() {
            for (ByteBuf datagram : datagrams) {
                pair.relay.encapsulate(packet, pair.now, sealed);
                ByteBuf out = sealed.takeDatagram();
                datagram.clear().writeBytes(out);
                out.release();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(sink.drops == 0, "no drops while opening, got " + sink.drops);
            check(sink.bytes > 0, "packets delivered");
            pair.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPEN_BATCH)
    public long open(OpenState s) {
        for (ByteBuf datagram : s.datagrams) {
            s.pair.operator.decapsulate(RELAY_UDP, datagram, s.pair.now, s.sink);
        }
        return s.sink.bytes;
    }

    // ================================================================ handshake

    @State(Scope.Thread)
    public static class HandshakeState {
        Pair pair;
        final ByteBuf[] initiations = new ByteBuf[HANDSHAKE_BATCH];
        final CapturingSink made = new CapturingSink();
        final ReleasingSink sink = new ReleasingSink();
        long initiatorNow;
        long responderNow;

        @Setup(Level.Trial)
        public void setUp() {
            pair = new Pair();
            initiatorNow = pair.now;
            responderNow = pair.now;
        }

        @Setup(Level.Invocation)
        public void makeInitiations() {
            for (int i = 0; i < HANDSHAKE_BATCH; i++) {
                initiatorNow += 6_000_000_000L;
                pair.relayClock.now = pair.relayClock.now.plusSeconds(1);
                pair.relay.initiateHandshake(pair.operator.publicKey(), initiatorNow, made);
                initiations[i] = made.takeDatagram();
            }
        }

        @TearDown(Level.Invocation)
        public void releaseInitiations() {
            for (ByteBuf initiation : initiations) {
                initiation.release();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            check(sink.drops == 0, "no drops while handshaking, got " + sink.drops);
            check(sink.bytes > 0, "responses sent");
            pair.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(HANDSHAKE_BATCH)
    public long handshake(HandshakeState s) {
        for (ByteBuf initiation : s.initiations) {
            s.responderNow += 25_000_000L;
            s.pair.operator.decapsulate(RELAY_UDP, initiation, s.responderNow, s.sink);
        }
        return s.sink.bytes;
    }

    @State(Scope.Thread)
    public static class InitiateState {
        Pair pair;
        final ReleasingSink sink = new ReleasingSink();
        long now;

        @Setup(Level.Trial)
        public void setUp() {
            pair = new Pair();
            now = pair.now;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pair.close();
        }
    }

    @Benchmark
    public long initiate(InitiateState s) {
        s.now += 6_000_000_000L;
        s.pair.relayClock.now = s.pair.relayClock.now.plusSeconds(1);
        s.pair.relay.initiateHandshake(s.pair.operator.publicKey(), s.now, s.sink);
        return s.sink.bytes;
    }

    // ================================================================ JDK baseline

    @State(Scope.Thread)
    public static class JdkState {
        Cipher cipher;
        SecretKeySpec key;
        final byte[] nonce = new byte[12];
        final byte[] plain = new byte[PACKET];
        final byte[] sealed = new byte[PACKET + 16];
        long counter;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            cipher = Cipher.getInstance("ChaCha20-Poly1305");
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            key = new SecretKeySpec(raw, "ChaCha20");
            new SecureRandom().nextBytes(plain);
        }
    }

    @Benchmark
    public int jdkSeal(JdkState s) throws Exception {
        long counter = ++s.counter;
        for (int i = 0; i < 8; i++) {
            s.nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        s.cipher.init(Cipher.ENCRYPT_MODE, s.key, new IvParameterSpec(s.nonce));
        return s.cipher.doFinal(s.plain, 0, PACKET, s.sealed, 0);
    }

    // ================================================================ helpers

    private static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("benchmark setup: " + what);
        }
    }
}
