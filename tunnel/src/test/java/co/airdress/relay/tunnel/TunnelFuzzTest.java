package co.airdress.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.noise.Messages;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterEach;

/**
 * Hostile datagrams and hostile inner packets. Runs the stored inputs as a regression test;
 * {@code JAZZER_FUZZ=1} fuzzes. Nothing may throw, leak, or be delivered that was not authentic.
 */
class TunnelFuzzTest {

    @AfterEach
    void closePairs() {
        TunnelPair.closeAll();
    }

    /** Arbitrary datagrams, some dressed with a live receiver index, into an established relay. */
    @FuzzTest(maxDuration = "30s")
    void decapsulateSurvivesAnyDatagram(FuzzedDataProvider data) {
        TunnelPair pair = new TunnelPair();
        pair.operatorSends(TestPackets.ipv4("10.66.0.2", "10.66.0.1", 10));
        pair.toRelay(pair.operatorSink.take().get(0).bytes());
        byte[] response = pair.relaySink.take().get(0).bytes();
        int relayIndex = Messages.getIntLE(response, Messages.RESP_SENDER);
        pair.toOperator(response);
        pair.pump();
        pair.relaySink.takeDelivered();

        while (data.remainingBytes() > 0) {
            int type = data.consumeInt(0, 5);
            byte[] body = data.consumeBytes(data.consumeInt(0, 1600));
            if (type >= 1 && type <= 4 && body.length >= 8) {
                body[0] = (byte) type;
                body[1] = body[2] = body[3] = 0;
                if (type == 4 || type == 3) {
                    Messages.putIntLE(body, 4, relayIndex);
                }
            }
            pair.toRelay(body);
            pair.advance(data.consumeLong(0, 200_000_000_000L));
            pair.relay.tick(pair.now, pair.relaySink);
        }
        assertThat(pair.relaySink.delivered).isEmpty();
    }

    /** Arbitrary bytes as the operator's inner packet: the relay delivers only what passes its checks. */
    @FuzzTest(maxDuration = "30s")
    void innerPacketChecksHoldForAnyPacket(byte[] packet) {
        TunnelPair pair = new TunnelPair();
        pair.establish();
        pair.relaySink.takeDelivered();
        pair.operatorSends(packet);
        pair.pump();
        for (RecordingSink.Delivered d : pair.relaySink.takeDelivered()) {
            byte[] p = d.packet();
            boolean v4 = (p[0] & 0xf0) == 0x40
                    && p.length >= 20
                    && java.util.Arrays.equals(p, 12, 16, TunnelPair.OPERATOR_IP.getAddress(), 0, 4)
                    && java.util.Arrays.equals(p, 16, 20, TunnelPair.RELAY_IP.getAddress(), 0, 4);
            boolean v6 = (p[0] & 0xf0) == 0x60
                    && p.length >= 40
                    && java.util.Arrays.equals(p, 8, 24, TunnelPair.OPERATOR_IP6.getAddress(), 0, 16)
                    && java.util.Arrays.equals(p, 24, 40, TunnelPair.RELAY_IP6.getAddress(), 0, 16);
            assertThat(v4 || v6)
                    .as("delivered %s", java.util.HexFormat.of().formatHex(p))
                    .isTrue();
            assertThat(packet).startsWith(p);
        }
    }
}
