package co.airdress.relay.tunnel;

import static co.airdress.relay.tunnel.TunnelPair.SECOND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.tunnel.noise.Messages;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class WireGuardEngineTest {

    @org.junit.jupiter.api.AfterEach
    void closePairs() {
        TunnelPair.closeAll();
    }

    @Test
    void operatorInitiatesAndFirstPacketArrivesAfterHandshake() {
        TunnelPair pair = new TunnelPair();
        byte[] packet = TestPackets.ipv4("10.66.0.2", "10.66.0.1", 84);
        pair.operatorSends(packet);
        List<RecordingSink.Datagram> first = pair.operatorSink.take();
        assertThat(first).singleElement().satisfies(d -> {
            assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION);
            assertThat(d.bytes()).hasSize(Messages.INITIATION_LENGTH);
            assertThat(d.to()).isEqualTo(pair.relayEndpoint);
        });
        assertThat(pair.operator.isReachable(pair.relayPublic, pair.now)).isTrue();
        assertThat(pair.operator.hasLiveSession(pair.relayPublic, pair.now)).isFalse();

        pair.toRelay(first.get(0).bytes());
        List<RecordingSink.Datagram> response = pair.relaySink.take();
        assertThat(response).singleElement().satisfies(d -> {
            assertThat(d.type()).isEqualTo(Messages.TYPE_RESPONSE);
            assertThat(d.to()).isEqualTo(pair.operatorEndpoint);
        });
        // The responder cannot send until the initiator confirms the session.
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isFalse();

        pair.toOperator(response.get(0).bytes());
        assertThat(pair.operator.hasLiveSession(pair.relayPublic, pair.now)).isTrue();
        List<RecordingSink.Datagram> data = pair.operatorSink.take();
        assertThat(data).singleElement().satisfies(d -> assertThat(d.type()).isEqualTo(Messages.TYPE_TRANSPORT));

        pair.toRelay(data.get(0).bytes());
        assertThat(pair.relaySink.takeDelivered()).singleElement().satisfies(d -> {
            assertThat(d.peer()).isEqualTo(pair.operatorPublic);
            assertThat(d.packet()).isEqualTo(packet);
        });
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isTrue();

        byte[] reply = TestPackets.ipv4("10.66.0.1", "10.66.0.2", 60);
        pair.relaySends(reply);
        pair.pump();
        assertThat(pair.operatorSink.takeDelivered())
                .singleElement()
                .satisfies(d -> assertThat(d.packet()).isEqualTo(reply));

        PeerStats stats = pair.relay.stats(pair.operatorPublic, pair.now);
        assertThat(stats.lastHandshake()).isEqualTo(pair.wall.instant());
        assertThat(stats.handshakes()).isEqualTo(1);
        assertThat(stats.endpoint()).isEqualTo(pair.operatorEndpoint);
        assertThat(stats.rxBytes()).isEqualTo(148 + 32 + 112);
        assertThat(stats.txBytes()).isEqualTo(92 + 32 + 80);
        assertThat(stats.drops()).isEmpty();
        assertThat(pair.relaySink.dropped).isEmpty();
        assertThat(pair.operatorSink.dropped).isEmpty();
    }

    @Test
    void relayInitiatesWhenItKnowsTheEndpoint() {
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD,
                UnaryOperator.identity(),
                p -> p.withEndpoint(new InetSocketAddress(InetAddress.ofLiteral("198.51.100.7"), 40000)),
                UnaryOperator.identity());
        assertThat(pair.relay.isReachable(pair.operatorPublic, pair.now)).isTrue();
        byte[] packet = TestPackets.ipv6("fd66::1", "fd66::2", 100);
        pair.relaySends(packet);
        pair.pump();
        assertThat(pair.operatorSink.takeDelivered())
                .singleElement()
                .satisfies(d -> assertThat(d.packet()).isEqualTo(packet));
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isTrue();
        assertThat(pair.operator.hasLiveSession(pair.relayPublic, pair.now)).isTrue();
    }

    @Test
    void paddingRoundsToSixteenAndIsStrippedOnDelivery() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.relaySink.takeDelivered();
        for (int payload : new int[] {0, 1, 11, 12, 13, 27, 28, 1380, 1400}) {
            byte[] packet = TestPackets.ipv4("10.66.0.2", "10.66.0.1", payload);
            pair.operatorSends(packet);
            List<RecordingSink.Datagram> sent = pair.operatorSink.take();
            int padded = Math.min(1420, (packet.length + 15) & ~15);
            assertThat(sent)
                    .singleElement()
                    .satisfies(d -> assertThat(d.bytes()).hasSize(16 + padded + 16));
            pair.toRelay(sent.get(0).bytes());
            assertThat(pair.relaySink.takeDelivered())
                    .singleElement()
                    .satisfies(d -> assertThat(d.packet()).isEqualTo(packet));
        }
        assertThat(Keypair.paddingFor(1419, 1420)).isEqualTo(1);
        assertThat(Keypair.paddingFor(1420, 1420)).isZero();
    }

    @Test
    void replayedTransportIsDroppedAfterAuthentication() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.relaySink.takeDelivered();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        byte[] datagram = pair.operatorSink.take().get(0).bytes();
        pair.toRelay(datagram);
        assertThat(pair.relaySink.takeDelivered()).hasSize(1);
        pair.toRelay(datagram);
        assertThat(pair.relaySink.takeDelivered()).isEmpty();
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.REPLAYED);

        byte[] forged = datagram.clone();
        forged[20] ^= 1;
        forged[8] = 99; // a fresh counter, but the tag no longer matches
        pair.toRelay(forged);
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.DECRYPT_FAILED);
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).drops())
                .containsEntry(Drop.REPLAYED, 1L)
                .containsEntry(Drop.DECRYPT_FAILED, 1L);
    }

    @Test
    void unknownPeerGetsNoAnswerAtAll() {
        TunnelPair pair = new TunnelPair();
        pair.relay.removePeer(pair.operatorPublic);
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes());
        assertThat(pair.relaySink.sent).isEmpty();
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.HANDSHAKE_INVALID);
    }

    @Test
    void initiationForAnotherPublicKeyFailsMac1Silently() {
        WireGuardKey stranger =
                WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(TestPackets.deterministic(99)));
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD,
                UnaryOperator.identity(),
                UnaryOperator.identity(),
                p -> new PeerConfig(stranger, null, p.allowedIps(), p.endpoint(), Duration.ZERO));
        pair.operator.removePeer(pair.relayPublic);
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes());
        assertThat(pair.relaySink.sent).isEmpty();
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.MAC1_INVALID);
    }

    @Test
    void garbageAndTruncatedDatagramsAreMalformed() {
        TunnelPair pair = new TunnelPair();
        pair.toRelay(new byte[] {1, 0});
        pair.toRelay(new byte[148 - 1]);
        byte[] wrongLength = new byte[100];
        wrongLength[0] = 1;
        pair.toRelay(wrongLength);
        byte[] unknownType = new byte[64];
        unknownType[0] = 9;
        pair.toRelay(unknownType);
        byte[] transport = new byte[32];
        transport[0] = 4;
        pair.toRelay(transport);
        assertThat(pair.relaySink.takeDrops())
                .containsExactly(Drop.MALFORMED, Drop.MALFORMED, Drop.MALFORMED, Drop.MALFORMED, Drop.UNKNOWN_INDEX);
        assertThat(pair.relaySink.sent).isEmpty();
    }

    @Test
    void underLoadInitiationWithoutMac2GetsCookieThenIsAcceptedWithIt() {
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD,
                c -> c.withHandshakesPerSecondBeforeCookies(0),
                UnaryOperator.identity(),
                UnaryOperator.identity());
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes());
        List<RecordingSink.Datagram> cookie = pair.relaySink.take();
        assertThat(cookie).singleElement().satisfies(d -> {
            assertThat(d.type()).isEqualTo(Messages.TYPE_COOKIE_REPLY);
            assertThat(d.bytes()).hasSize(Messages.COOKIE_REPLY_LENGTH);
        });
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.COOKIE_REQUIRED);
        pair.toOperator(cookie.get(0).bytes());
        assertThat(pair.operatorSink.dropped).isEmpty();

        // The retransmission (REKEY_TIMEOUT + jitter later) carries MAC2 and is processed.
        pair.tickFor(6 * SECOND);
        List<RecordingSink.Datagram> retry = pair.operatorSink.take();
        assertThat(retry).singleElement().satisfies(d -> assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION));
        pair.toRelay(retry.get(0).bytes());
        assertThat(pair.relaySink.sent)
                .singleElement()
                .satisfies(d -> assertThat(d.type()).isEqualTo(Messages.TYPE_RESPONSE));
        pair.pump();
        assertThat(pair.relaySink.takeDelivered()).hasSize(1);
    }

    @Test
    void underLoadPerSourceRateLimitAppliesAfterValidMac2() {
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD,
                c -> c.withHandshakesPerSecondBeforeCookies(0),
                UnaryOperator.identity(),
                UnaryOperator.identity());
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes());
        pair.toOperator(pair.relaySink.take().get(0).bytes());
        pair.tickFor(6 * SECOND);
        byte[] initiation = pair.operatorSink.take().get(0).bytes();
        pair.relaySink.takeDrops();
        for (int i = 0; i < 6; i++) {
            pair.toRelay(initiation);
        }
        // 5 pass the bucket (1 accepted + 4 replays of the same timestamp), the 6th is limited.
        assertThat(pair.relaySink.takeDrops())
                .containsExactly(
                        Drop.HANDSHAKE_REPLAYED,
                        Drop.HANDSHAKE_REPLAYED,
                        Drop.HANDSHAKE_REPLAYED,
                        Drop.HANDSHAKE_REPLAYED,
                        Drop.RATE_LIMITED);
        // Another source address is not limited (its cookie differs, so it gets a cookie reply).
        pair.toRelay(initiation, new InetSocketAddress(InetAddress.ofLiteral("203.0.113.5"), 1234));
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.COOKIE_REQUIRED);
    }

    @Test
    void endpointRoamsOnlyOnAuthenticatedPackets() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        InetSocketAddress elsewhere = new InetSocketAddress(InetAddress.ofLiteral("203.0.113.9"), 5555);

        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        byte[] datagram = pair.operatorSink.take().get(0).bytes();
        byte[] forged = datagram.clone();
        forged[forged.length - 1] ^= 1;
        pair.toRelay(forged, elsewhere);
        pair.toRelay(datagram, pair.operatorEndpoint);
        pair.toRelay(datagram, elsewhere); // a replay from elsewhere must not move the endpoint either
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).endpoint()).isEqualTo(pair.operatorEndpoint);

        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes(), elsewhere);
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).endpoint()).isEqualTo(elsewhere);
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.2", 10));
        assertThat(pair.relaySink.take())
                .singleElement()
                .satisfies(d -> assertThat(d.to()).isEqualTo(elsewhere));
    }

    @Test
    void innerSourceMustBeInsideThePeersAllowedIps() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.relaySink.takeDelivered();
        pair.operatorSends(TestPackets.ipv4("10.66.0.99", "10.66.0.1", 10));
        pair.pump();
        assertThat(pair.relaySink.takeDelivered()).isEmpty();
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.SOURCE_NOT_ALLOWED);
    }

    @Test
    void innerDestinationMustBeTheRelaysOwnAddress() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.relaySink.takeDelivered();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.3", 10)); // another operator's address
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.254", 10)); // any other host
        pair.operatorSends(TestPackets.ipv6("fd66::2", "fd66::3", 10));
        pair.pump();
        assertThat(pair.relaySink.takeDelivered()).isEmpty();
        assertThat(pair.relaySink.takeDrops())
                .containsExactly(
                        Drop.DESTINATION_NOT_ALLOWED, Drop.DESTINATION_NOT_ALLOWED, Drop.DESTINATION_NOT_ALLOWED);
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).drops())
                .containsEntry(Drop.DESTINATION_NOT_ALLOWED, 3L);
        assertThat(pair.relay.drops()).containsEntry(Drop.DESTINATION_NOT_ALLOWED, 3L);
    }

    @Test
    void outboundWithoutRouteOrEndpointIsDropped() {
        TunnelPair pair = new TunnelPair();
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.77", 10));
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.NO_ROUTE);
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.2", 10));
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.NO_ENDPOINT);
        assertThat(pair.relay.isReachable(pair.operatorPublic, pair.now)).isFalse();
        assertThat(pair.relaySink.sent).isEmpty();
    }

    @Test
    void matchingPresharedKeysWorkAndAMismatchFailsTheResponse() {
        WireGuardKey psk = WireGuardKeys.generatePresharedKey(TestPackets.deterministic(5));
        TunnelPair with = new TunnelPair(
                ProtocolTimers.STANDARD,
                UnaryOperator.identity(),
                p -> p.withPresharedKey(psk),
                p -> p.withPresharedKey(psk));
        with.establish();
        assertThat(with.relaySink.takeDelivered()).hasSize(1);

        TunnelPair mismatch = new TunnelPair(
                ProtocolTimers.STANDARD,
                UnaryOperator.identity(),
                p -> p.withPresharedKey(psk),
                UnaryOperator.identity());
        mismatch.establish();
        assertThat(mismatch.relaySink.takeDelivered()).isEmpty();
        assertThat(mismatch.operatorSink.takeDrops()).containsExactly(Drop.HANDSHAKE_INVALID);
        assertThat(mismatch.operator.hasLiveSession(mismatch.relayPublic, mismatch.now))
                .isFalse();
    }

    @Test
    void passiveKeepaliveAfterReceivingDataAndSendingNothing() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.tickFor(9 * SECOND);
        assertThat(pair.relaySink.sent).isEmpty();
        pair.tickFor(2 * SECOND);
        assertThat(pair.relaySink.take())
                .singleElement()
                .satisfies(d -> assertThat(d.bytes()).hasSize(Messages.TRANSPORT_MIN_LENGTH));
    }

    @Test
    void persistentKeepaliveFiresOnItsInterval() {
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD,
                UnaryOperator.identity(),
                UnaryOperator.identity(),
                p -> p.withPersistentKeepalive(Duration.ofSeconds(25)));
        pair.establish();
        pair.relaySink.takeDelivered();
        List<Long> keepalivesAt = new java.util.ArrayList<>();
        long start = pair.now;
        while (pair.now - start < 100 * SECOND) {
            pair.tickFor(WireGuardEngine.TICK_INTERVAL_NANOS);
            for (RecordingSink.Datagram d : pair.operatorSink.take()) {
                if (d.bytes().length == Messages.TRANSPORT_MIN_LENGTH) {
                    keepalivesAt.add((pair.now - start) / SECOND);
                }
                pair.toRelay(d.bytes());
            }
            pair.pump();
        }
        // The relay answers the data packet at 0 s with a passive keepalive at 10 s; from then on
        // the only traffic is the operator's persistent keepalive every 25 s.
        assertThat(keepalivesAt).containsExactly(35L, 60L, 85L);
        for (int i = 1; i < keepalivesAt.size(); i++) {
            assertThat(keepalivesAt.get(i) - keepalivesAt.get(i - 1)).isEqualTo(25L);
        }
        assertThat(pair.relaySink.delivered).isEmpty();
    }

    @Test
    void sessionStopsCountingAsLiveFifteenSecondsAfterUnansweredData() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.2", 10));
        pair.relaySink.take(); // the operator is gone: nothing comes back
        pair.advance(14 * SECOND);
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isTrue();
        pair.advance(2 * SECOND);
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isFalse();
        // Anything authenticated from the operator revives it.
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes());
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isTrue();
    }

    @Test
    void dataWithoutAnswerTriggersNewHandshakeAfterFifteenSeconds() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.operatorSink.take(); // lost
        pair.tickFor(14 * SECOND);
        assertThat(pair.operatorSink.sent).isEmpty();
        pair.tickFor(2 * SECOND);
        assertThat(pair.operatorSink.take())
                .singleElement()
                .satisfies(d -> assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION));
    }

    @Test
    void initiatorRekeysAfterRekeyAfterTimeWhenSending() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.advance(121 * SECOND);
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        List<RecordingSink.Datagram> sent = pair.operatorSink.take();
        assertThat(sent)
                .extracting(RecordingSink.Datagram::type)
                .containsExactly(Messages.TYPE_TRANSPORT, Messages.TYPE_INITIATION);
        for (RecordingSink.Datagram d : sent) {
            pair.toRelay(d.bytes());
        }
        pair.pump();
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).handshakes()).isEqualTo(2);
    }

    @Test
    void rekeyAfterMessagesStartsAHandshakeAndTheOldKeypairStillDecrypts() {
        ProtocolTimers fewMessages = ProtocolTimers.STANDARD.withRekeyAfterMessages(3);
        TunnelPair pair = new TunnelPair(
                fewMessages, UnaryOperator.identity(), UnaryOperator.identity(), UnaryOperator.identity());
        pair.establish(); // counter 0 used
        pair.relaySink.takeDelivered();
        pair.advance(6 * SECOND); // past REKEY_TIMEOUT: initiations are at most one per 5 s
        List<byte[]> inFlight = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", i));
            for (RecordingSink.Datagram d : pair.operatorSink.take()) {
                if (d.type() == Messages.TYPE_TRANSPORT) {
                    inFlight.add(d.bytes());
                } else {
                    assertThat(i).as("initiation once the counter passed 3").isEqualTo(2);
                    pair.toRelay(d.bytes());
                }
            }
        }
        pair.pump(); // completes the new handshake; the relay now holds the old keypair as previous
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).handshakes()).isEqualTo(2);
        for (byte[] late : inFlight) {
            pair.toRelay(late);
        }
        assertThat(pair.relaySink.takeDelivered()).hasSize(3);
        assertThat(pair.relaySink.dropped).isEmpty();
    }

    @Test
    void shortenedTimersRekeyAndRejectOnTheirSchedule() {
        ProtocolTimers fast = ProtocolTimers.STANDARD.withRekeyTimes(Duration.ofSeconds(20), Duration.ofSeconds(30));
        TunnelPair pair =
                new TunnelPair(fast, UnaryOperator.identity(), UnaryOperator.identity(), UnaryOperator.identity());
        pair.establish();
        pair.advance(31 * SECOND);
        assertThat(pair.operator.hasLiveSession(pair.relayPublic, pair.now)).isFalse();
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isFalse();
        // Past REJECT_AFTER_TIME the old keypair is unusable: the packet waits for a new handshake.
        byte[] packet = TestPackets.ipv4("10.66.0.2", "10.66.0.1", 33);
        pair.operatorSends(packet);
        assertThat(pair.operatorSink.sent)
                .singleElement()
                .satisfies(d -> assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION));
        pair.relaySink.takeDelivered();
        pair.pump();
        assertThat(pair.relaySink.takeDelivered())
                .singleElement()
                .satisfies(d -> assertThat(d.packet()).isEqualTo(packet));
    }

    @Test
    void transportOnAnExpiredKeypairIsRejected() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        byte[] late = pair.operatorSink.take().get(0).bytes();
        pair.advance(180 * SECOND);
        pair.toRelay(late);
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.KEYPAIR_EXPIRED);
    }

    @Test
    void retransmitsWithJitterThenGivesUpAndZeroesKeysLater() {
        TunnelPair pair = new TunnelPair();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        assertThat(pair.operatorSink.take()).hasSize(1);
        long start = pair.now;
        long last = start;
        int initiations = 1;
        while (pair.now - start < 120 * SECOND) {
            pair.tickFor(WireGuardEngine.TICK_INTERVAL_NANOS);
            for (RecordingSink.Datagram d : pair.operatorSink.take()) {
                assertThat(d.type()).isEqualTo(Messages.TYPE_INITIATION);
                assertThat(pair.now - last).isBetween(5 * SECOND, 5 * SECOND + 434_000_000L);
                last = pair.now;
                initiations++;
            }
        }
        // As wireguard-go: the first initiation plus MaxTimerHandshakes + 1 retries, then silence.
        assertThat(initiations).isEqualTo(20);
        assertThat(pair.operatorSink.takeDrops()).containsExactly(Drop.HANDSHAKE_GAVE_UP);
        assertThat(pair.operator.isReachable(pair.relayPublic, pair.now)).isFalse();
        // A new packet tries again.
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        assertThat(pair.operatorSink.take()).hasSize(1);
        assertThat(pair.operator.isReachable(pair.relayPublic, pair.now)).isTrue();
    }

    @Test
    void keyMaterialIsZeroedAfterThreeTimesRejectAfterTime() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        byte[] old = pair.operatorSink.take().get(0).bytes();
        pair.advance(540 * SECOND + SECOND);
        pair.relay.tick(pair.now, pair.relaySink);
        pair.toRelay(old);
        assertThat(pair.relaySink.takeDrops()).containsExactly(Drop.UNKNOWN_INDEX);
    }

    @Test
    void queueWhileHandshakingIsBounded() {
        TunnelPair pair = new TunnelPair();
        for (int i = 0; i < TunnelConfig.DEFAULT_MAX_QUEUED_PACKETS + 3; i++) {
            pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", i));
        }
        assertThat(pair.operatorSink.takeDrops()).containsExactly(Drop.QUEUE_FULL, Drop.QUEUE_FULL, Drop.QUEUE_FULL);
        pair.pump();
        List<RecordingSink.Delivered> delivered = pair.relaySink.takeDelivered();
        assertThat(delivered).hasSize(TunnelConfig.DEFAULT_MAX_QUEUED_PACKETS);
        assertThat(delivered.get(0).packet()).hasSize(20 + 3); // the oldest three were pushed out
    }

    @Test
    void flushingTheQueueStopsAtTheKeypairsMessageLimitAndTheRestWaitsForTheNextKeypair() {
        // A keypair may send 3 messages (REJECT_AFTER_MESSAGES, lowered for the test); 5 packets
        // are queued while the first handshake is made, and flushed when it completes.
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD.withRejectAfterMessages(3),
                UnaryOperator.identity(),
                UnaryOperator.identity(),
                UnaryOperator.identity());
        List<byte[]> packets = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            packets.add(TestPackets.ipv4("10.66.0.2", "10.66.0.1", i));
        }
        for (int i = 0; i < 5; i++) {
            pair.operatorSends(packets.get(i));
        }
        List<long[]> sent = pumpNotingTransport(pair);
        assertThat(sent).as("(receiver, counter) of each transport message").hasSize(3);
        assertThat(sent).allSatisfy(m -> assertThat(m[1]).isLessThan(3));
        assertThat(pair.relaySink.takeDelivered())
                .extracting(RecordingSink.Delivered::packet)
                .containsExactly(packets.get(0), packets.get(1), packets.get(2));
        assertThat(pair.operatorSink.dropped).as("nothing lost").isEmpty();

        // The two left wait for a new keypair: the next send (past REKEY_TIMEOUT) makes one.
        pair.advance(6 * SECOND);
        pair.operatorSends(packets.get(5));
        List<long[]> next = pumpNotingTransport(pair);
        assertThat(next).hasSize(3).allSatisfy(m -> assertThat(m[1]).isLessThan(3));
        assertThat(next.get(0)[0]).as("under the new keypair").isNotEqualTo(sent.get(0)[0]);
        assertThat(pair.relaySink.takeDelivered())
                .extracting(RecordingSink.Delivered::packet)
                .containsExactly(packets.get(3), packets.get(4), packets.get(5));
        assertThat(pair.relay.stats(pair.operatorPublic, pair.now).handshakes()).isEqualTo(2);
    }

    /** Like {@link TunnelPair#pump()}, noting (receiver index, counter) of the operator's transport messages. */
    private static List<long[]> pumpNotingTransport(TunnelPair pair) {
        List<long[]> transport = new java.util.ArrayList<>();
        while (!pair.relaySink.sent.isEmpty() || !pair.operatorSink.sent.isEmpty()) {
            for (RecordingSink.Datagram d : pair.operatorSink.take()) {
                if (d.type() == Messages.TYPE_TRANSPORT) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d.bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    transport.add(new long[] {b.getInt(4), b.getLong(8)});
                }
                pair.toRelay(d.bytes());
            }
            for (RecordingSink.Datagram d : pair.relaySink.take()) {
                pair.toOperator(d.bytes());
            }
        }
        return transport;
    }

    @Test
    void simultaneousInitiationsConvergeAndTrafficFlows() {
        TunnelPair pair = new TunnelPair(
                ProtocolTimers.STANDARD,
                UnaryOperator.identity(),
                p -> p.withEndpoint(new InetSocketAddress(InetAddress.ofLiteral("198.51.100.7"), 40000)),
                UnaryOperator.identity());
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.2", 10));
        pair.pump();
        pair.runFor(20 * SECOND);
        pair.relaySink.takeDelivered();
        pair.operatorSink.takeDelivered();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.2", 10));
        pair.pump();
        assertThat(pair.relaySink.takeDelivered()).hasSize(1);
        assertThat(pair.operatorSink.takeDelivered()).hasSize(1);
    }

    @Test
    void peersCanBeUpdatedAndRemovedWithoutDisturbingOthers() {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        WireGuardKey other = WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(TestPackets.deterministic(77)));
        pair.relay.addPeer(PeerConfig.of(other, IpPrefix.parse("10.66.0.3/32")));
        assertThatThrownBy(() -> pair.relay.addPeer(PeerConfig.of(other, IpPrefix.parse("10.66.0.9/32"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.relay.addPeer(PeerConfig.of(
                        WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(TestPackets.deterministic(78))),
                        IpPrefix.parse("10.66.0.3/32"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.relay.addPeer(PeerConfig.of(
                        WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(TestPackets.deterministic(79))),
                        IpPrefix.parse("fd66::2"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fd66");
        pair.relay.updatePeer(new PeerConfig(
                pair.operatorPublic,
                null,
                List.of(IpPrefix.parse("10.66.0.2/32"), IpPrefix.parse("10.66.0.20/32")),
                null,
                Duration.ZERO));
        pair.relay.removePeer(other);
        assertThat(pair.relay.hasLiveSession(pair.operatorPublic, pair.now)).isTrue();
        pair.relaySink.takeDelivered();
        pair.operatorSends(TestPackets.ipv4("10.66.0.20", "10.66.0.1", 10));
        pair.relaySends(TestPackets.ipv4("10.66.0.1", "10.66.0.20", 10));
        pair.pump();
        assertThat(pair.relaySink.takeDelivered()).hasSize(1);
        assertThat(pair.operatorSink.takeDrops()).containsExactly(Drop.DESTINATION_NOT_ALLOWED);
        assertThat(pair.relay.removePeer(pair.operatorPublic)).isTrue();
        assertThat(pair.relay.isReachable(pair.operatorPublic, pair.now)).isFalse();
        assertThat(pair.relay.stats(pair.now)).isEmpty();
    }
}
