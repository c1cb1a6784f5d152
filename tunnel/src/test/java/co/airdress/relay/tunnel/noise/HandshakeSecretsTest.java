package co.airdress.relay.tunnel.noise;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.crypto.Curve25519;
import co.airdress.relay.tunnel.noise.Handshake.InitiationHeader;
import co.airdress.relay.tunnel.noise.Handshake.InitiationOutcome;
import co.airdress.relay.tunnel.noise.Handshake.SessionKeys;
import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Diffie-Hellman outputs and derived keys pass through the handshake's buffers and are zero again
 * once each step returns, on success and on every refusal; a dropped initiation header's chaining
 * key is zeroed too.
 */
class HandshakeSecretsTest {

    private final SecureRandom random = new SecureRandom();
    private final byte[] psk = new byte[32];
    private final LocalIdentity initiatorId = new LocalIdentity(Curve25519.generatePrivateKey(random));
    private final LocalIdentity responderId = new LocalIdentity(Curve25519.generatePrivateKey(random));
    private final Handshake initiator;
    private final Handshake responder;

    HandshakeSecretsTest() {
        random.nextBytes(psk);
        initiator = new Handshake(initiatorId, responderId.publicKey(), psk);
        responder = new Handshake(responderId, initiatorId.publicKey(), psk);
    }

    private static void assertWiped(Handshake h) {
        assertThat(h.dh).as("DH output buffer").containsOnly(0);
        assertThat(h.key).as("derived key buffer").containsOnly(0);
        assertThat(h.tau).as("tau buffer").containsOnly(0);
    }

    private static void assertWiped(LocalIdentity id) {
        assertThat(id.dh).as("responder's DH output buffer").containsOnly(0);
        assertThat(id.key).as("responder's derived key buffer").containsOnly(0);
    }

    private byte[] initiation(Instant at) {
        byte[] msg = initiator.createInitiation(7, Tai64n.of(at), random);
        assertThat(msg).isNotNull();
        return msg;
    }

    @Test
    void aCompleteHandshakeLeavesNoSecretInItsBuffers() {
        byte[] init = initiation(Instant.now());
        assertWiped(initiator);

        InitiationHeader header = Handshake.openInitiation(responderId, init);
        assertThat(header).isNotNull();
        assertWiped(responderId);
        byte[] headerChainingKey = header.chainingKey();
        assertThat(headerChainingKey)
                .as("the header carries a secret until consumed")
                .isNotEqualTo(new byte[32]);
        assertThat(responder.consumeInitiation(header, init, 0, 0)).isEqualTo(InitiationOutcome.ACCEPTED);
        assertThat(headerChainingKey).containsOnly(0);
        assertWiped(responder);

        byte[] response = responder.createResponse(9, random);
        assertThat(response).isNotNull();
        assertWiped(responder);
        assertThat(initiator.consumeResponse(response)).isTrue();
        assertWiped(initiator);

        SessionKeys i = initiator.deriveSession();
        SessionKeys r = responder.deriveSession();
        assertThat(i.sendKey()).isEqualTo(r.receiveKey()).isNotEqualTo(new byte[32]);
        assertThat(i.receiveKey()).isEqualTo(r.sendKey());
        assertThat(initiator.state()).isEqualTo(Handshake.State.ZEROED);
        assertThat(responder.state()).isEqualTo(Handshake.State.ZEROED);
        assertWiped(initiator);
        assertWiped(responder);
    }

    @Test
    void refusedMessagesLeaveNoSecretInItsBuffersEither() {
        Instant now = Instant.now();
        byte[] init = initiation(now);
        InitiationHeader first = Handshake.openInitiation(responderId, init);
        assertThat(responder.consumeInitiation(first, init, 0, 0)).isEqualTo(InitiationOutcome.ACCEPTED);

        // The same initiation again: replayed, and its header's chaining key is zeroed all the same.
        InitiationHeader replayed = Handshake.openInitiation(responderId, init);
        assertThat(responder.consumeInitiation(replayed, init, 1_000_000_000L, 0))
                .isEqualTo(InitiationOutcome.REPLAYED);
        assertThat(replayed.chainingKey()).containsOnly(0);
        assertWiped(responder);

        // A tampered timestamp does not open.
        byte[] tampered = initiation(now.plusSeconds(1));
        tampered[Messages.INIT_TIMESTAMP] ^= 1;
        InitiationHeader bad = Handshake.openInitiation(responderId, tampered);
        assertThat(responder.consumeInitiation(bad, tampered, 2_000_000_000L, 0))
                .isEqualTo(InitiationOutcome.INVALID);
        assertThat(bad.chainingKey()).containsOnly(0);
        assertWiped(responder);

        // An initiation for another key does not open its static key.
        Handshake toOther =
                new Handshake(initiatorId, new LocalIdentity(Curve25519.generatePrivateKey(random)).publicKey(), null);
        byte[] elsewhere = toOther.createInitiation(1, Tai64n.of(now), random);
        assertThat(Handshake.openInitiation(responderId, elsewhere)).isNull();
        assertWiped(responderId);

        // A response that does not authenticate.
        byte[] init2 = initiation(now.plusSeconds(2));
        InitiationHeader h2 = Handshake.openInitiation(responderId, init2);
        assertThat(responder.consumeInitiation(h2, init2, 3_000_000_000L, 0)).isEqualTo(InitiationOutcome.ACCEPTED);
        byte[] response = responder.createResponse(9, random);
        response[Messages.RESP_EMPTY] ^= 1;
        assertThat(initiator.consumeResponse(response)).isFalse();
        assertWiped(initiator);
    }

    @Test
    void aRaisedReplayFloorRefusesInitiationsNotNewerThanIt() {
        Instant captured = Instant.parse("2026-11-22T10:00:00Z");
        byte[] old = initiation(captured);
        responder.raiseReplayFloor(Tai64n.of(captured.plusSeconds(60)));
        assertThat(responder.consumeInitiation(Handshake.openInitiation(responderId, old), old, 0, 0))
                .isEqualTo(InitiationOutcome.REPLAYED);
        byte[] equal = initiation(captured.plusSeconds(60));
        assertThat(responder.consumeInitiation(Handshake.openInitiation(responderId, equal), equal, 0, 0))
                .isEqualTo(InitiationOutcome.REPLAYED);
        // A lower floor changes nothing.
        responder.raiseReplayFloor(Tai64n.of(captured));
        assertThat(responder.lastTimestamp()).isEqualTo(Tai64n.of(captured.plusSeconds(60)));
        byte[] newer = initiation(captured.plusSeconds(61));
        assertThat(responder.consumeInitiation(Handshake.openInitiation(responderId, newer), newer, 0, 0))
                .isEqualTo(InitiationOutcome.ACCEPTED);
    }
}
