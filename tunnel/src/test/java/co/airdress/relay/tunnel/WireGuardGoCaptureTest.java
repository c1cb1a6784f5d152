package co.airdress.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.cookie.CookieChecker;
import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.crypto.TransportCipher;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.noise.LocalIdentity;
import co.airdress.relay.tunnel.noise.Messages;
import co.airdress.relay.tunnel.noise.Tai64n;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A known-answer test from a real capture. Source: recorded on 2026-11-22 on this project's
 * build machine with the rig of {@code WireGuardGoInteropTest}: Debian's wireguard-go
 * v0.0.20220316 (10.77.0.2) initiated to this core (10.77.0.1, responder) and pinged it. Both
 * static keys were generated for the capture and are published here, as is the responder's
 * ephemeral key (the random draw it made). The bytes are the datagrams as they crossed the veth.
 * (The Wireshark and wireguard-dissector sample captures could not be fetched as bytes.)
 */
class WireGuardGoCaptureTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static final byte[] RELAY_PRIVATE = hex("d8ea43200670a9041215e5a65d2386485859f17d4e844cbf611fc0bb5e73ef69");
    static final byte[] GO_PRIVATE = hex("48999f838d6bc704376246de5c8820536480e8d29965cd6a0ba5d2d2e9c33e73");
    static final byte[] RESPONDER_EPHEMERAL = hex("b28f133851e829ea2a17e4a36c53009d629451c3a93e2305a118cd6c51551e27");

    /** wireguard-go → core: handshake initiation (sender index f8ffd1f7, MAC2 zero). */
    static final byte[] INITIATION = hex("01000000f8ffd1f78281d06d0d72ba158181450bb3d33dc96113df62b16b1bba736359"
            + "e86c6a704dae0596420cdd4c97d7b33bae8adb9a331377811a86ce0a4a2a78df11c2540bfe1409c0a4b50ff34abc26b3d23ec6"
            + "9f88bf62c1b26659ea509e63ff27857cb6e295e394ecce36ac9fdf9df6ebdad14c4aaa824f201709d484546f842f0000000000"
            + "0000000000000000000000");
    /** core → wireguard-go: handshake response (sender index cf4c9e93). */
    static final byte[] RESPONSE = hex("02000000cf4c9e93f8ffd1f76253d951e739409c226fa12d9c1ee7e81a4330b95cd4b164"
            + "6484f24d63a00e29dbeb4d37ed5da7aab6c4e97ba36957fda3688e148437a3f99af41bb8f319fd770000000000000000000000"
            + "0000000000");
    /** wireguard-go → core: transport, counter 0, carrying the first ICMP echo request. */
    static final byte[] TRANSPORT_0 = hex("04000000cf4c9e93000000000000000033de176e7ffee0a994212c725fcbd2bbbaa55a28"
            + "edb9f8e8a2c8b7c542cb3ee2efcd661f91e4be28e5d15a2e1fe9fd3b0c8313d270cc4b8e7bf7b40cfc82dfccf51afd5625f3a4c5"
            + "5fa4d5ff30c2bc74b9fd897640b2aa93e60e5c24f31abce41d23664118b01c897542bf51c3e927c7");
    /** The plaintext of {@link #TRANSPORT_0}: ICMP echo request 10.77.0.2 → 10.77.0.1, id 0x47f1 seq 1. */
    static final byte[] ECHO_REQUEST = hex("450000543af640004001eb160a4d00020a4d00010800538c47f10001f95b026b0000000"
            + "09be7060000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");
    /** core → wireguard-go: transport, counter 0, carrying the echo reply (which ping accepted). */
    static final byte[] TRANSPORT_REPLY_0 = hex("04000000f8ffd1f700000000000000006aa87c795c48b85d6db32bc770e8d8dc987a"
            + "31b50671d4cc2cb9d23672598781b67190724ef5c2b09b2eff08d2a4bd82067efc2f5e7b0ec7d664a2fa7752328e76d12f37eb9a"
            + "b879a8f8604d7b2bdbad1230ae7c75fe4ba2abc8a293d95ea8e4258d16dfdab6250eef97c3a07af53577");

    static byte[] echoReply(byte[] request) {
        // Addresses swapped, type 0: the checksums change by the same amounts ping's kernel expects.
        byte[] reply = request.clone();
        System.arraycopy(request, 16, reply, 12, 4);
        System.arraycopy(request, 12, reply, 16, 4);
        reply[20] = 0;
        int icmp = ((reply[22] & 0xff) << 8 | (reply[23] & 0xff)) + 0x0800;
        icmp = (icmp & 0xffff) + (icmp >>> 16);
        reply[22] = (byte) (icmp >>> 8);
        reply[23] = (byte) icmp;
        return reply;
    }

    @Test
    void responderDecodesWireguardGosHandshakeStepByStep() {
        byte[] relayPublic =
                WireGuardKeys.publicKey(WireGuardKey.of(RELAY_PRIVATE)).bytes();
        byte[] goPublic = WireGuardKeys.publicKey(WireGuardKey.of(GO_PRIVATE)).bytes();
        LocalIdentity identity = new LocalIdentity(RELAY_PRIVATE);

        assertThat(new CookieChecker(relayPublic, 120_000_000_000L).checkMac1(INITIATION))
                .isTrue();
        Handshake.InitiationHeader header = Handshake.openInitiation(identity, INITIATION);
        assertThat(header).isNotNull();
        assertThat(header.remoteStatic()).isEqualTo(goPublic);
        assertThat(header.senderIndex()).isEqualTo(Messages.getIntLE(hex("f8ffd1f7"), 0));

        Handshake handshake = new Handshake(identity, goPublic, null);
        assertThat(handshake.consumeInitiation(header, INITIATION, 0, 20_000_000L))
                .isEqualTo(Handshake.InitiationOutcome.ACCEPTED);
        Instant stamped = Tai64n.toInstant(handshake.lastTimestamp());
        assertThat(stamped).isBetween(Instant.parse("2026-11-22T00:00:00Z"), Instant.parse("2026-11-23T00:00:00Z"));

        byte[] response = handshake.createResponse(Messages.getIntLE(RESPONSE, 4), RESPONDER_EPHEMERAL);
        new CookieGenerator(goPublic, 120_000_000_000L).addMacs(response, 0);
        assertThat(response).isEqualTo(RESPONSE);

        Handshake.SessionKeys keys = handshake.deriveSession();
        assertThat(keys.initiator()).isFalse();
        ByteBuffer plain = ByteBuffer.allocate(TRANSPORT_0.length - 32);
        assertThat(new TransportCipher(keys.receiveKey(), false)
                        .open(0, ByteBuffer.wrap(TRANSPORT_0, 16, TRANSPORT_0.length - 16), plain))
                .isTrue();
        assertThat(Arrays.copyOf(plain.array(), ECHO_REQUEST.length)).isEqualTo(ECHO_REQUEST);
        assertThat(Arrays.copyOfRange(plain.array(), ECHO_REQUEST.length, plain.capacity()))
                .containsOnly(0);

        byte[] reply = echoReply(ECHO_REQUEST);
        ByteBuffer sealed = ByteBuffer.allocate(TRANSPORT_REPLY_0.length - 16);
        new TransportCipher(keys.sendKey(), true).seal(0, ByteBuffer.wrap(reply), 12, sealed);
        assertThat(sealed.array()).isEqualTo(Arrays.copyOfRange(TRANSPORT_REPLY_0, 16, TRANSPORT_REPLY_0.length));
    }

    @Test
    void tunnelReproducesTheCaptureByteForByte() {
        // The tunnel draws the response's index (4 bytes, big-endian via nextInt) then its ephemeral
        // key; later draws (timer jitter) get zeros.
        ArrayDeque<byte[]> draws = new ArrayDeque<>(List.of(hex("939e4ccf"), RESPONDER_EPHEMERAL));
        SecureRandom scripted = new SecureRandom() {
            @Override
            public void nextBytes(byte[] bytes) {
                byte[] next = draws.poll();
                if (next == null) {
                    Arrays.fill(bytes, (byte) 0);
                    return;
                }
                assertThat(next).hasSize(bytes.length);
                System.arraycopy(next, 0, bytes, 0, bytes.length);
            }
        };
        InetSocketAddress go = new InetSocketAddress(InetAddress.ofLiteral("10.251.1.2"), 51820);
        try (WireGuardEngine tunnel = new WireGuardEngine(
                TunnelConfig.of(WireGuardKey.of(RELAY_PRIVATE), Set.of(InetAddress.ofLiteral("10.77.0.1")))
                        .withAllocator(UnpooledByteBufAllocator.DEFAULT)
                        .withRandom(scripted, () -> Instant.parse("2026-11-22T03:10:00Z")))) {
            WireGuardKey goPublic = WireGuardKeys.publicKey(WireGuardKey.of(GO_PRIVATE));
            tunnel.addPeer(PeerConfig.of(goPublic, IpPrefix.parse("10.77.0.2/32")));
            RecordingSink sink = new RecordingSink();
            long now = 5_000_000_000L;

            var initiation = Unpooled.wrappedBuffer(INITIATION);
            tunnel.decapsulate(go, initiation, now, sink);
            initiation.release();
            assertThat(sink.take()).singleElement().satisfies(d -> {
                assertThat(d.bytes()).isEqualTo(RESPONSE);
                assertThat(d.to()).isEqualTo(go);
            });

            var transport = Unpooled.wrappedBuffer(TRANSPORT_0);
            tunnel.decapsulate(go, transport, now + 1_000_000, sink);
            transport.release();
            assertThat(sink.takeDelivered()).singleElement().satisfies(d -> {
                assertThat(d.peer()).isEqualTo(goPublic);
                assertThat(d.packet()).isEqualTo(ECHO_REQUEST);
            });

            var reply = Unpooled.wrappedBuffer(echoReply(ECHO_REQUEST));
            tunnel.encapsulate(reply, now + 2_000_000, sink);
            reply.release();
            assertThat(sink.take())
                    .singleElement()
                    .satisfies(d -> assertThat(d.bytes()).isEqualTo(TRANSPORT_REPLY_0));
            assertThat(sink.dropped).isEmpty();
            assertThat(tunnel.stats(goPublic, now).lastHandshake()).isEqualTo(Instant.parse("2026-11-22T03:10:00Z"));
        }
    }
}
