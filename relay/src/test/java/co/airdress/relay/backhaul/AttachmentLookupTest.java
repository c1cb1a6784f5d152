package co.airdress.relay.backhaul;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttachmentLookupTest {

    private static final Operator DEMO = new Operator(
            "demo",
            List.of("demo.example.test"),
            null,
            ProxyProtocol.V2,
            new WireGuardPeer(
                    WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom())),
                    InetAddress.ofLiteral("100.96.0.2")));

    private static ConnectionRecord record(boolean throughTunnel) {
        ConnectionRecord r = new ConnectionRecord(Listener.HTTP, new InetSocketAddress("192.0.2.7", 40000), 0, 0);
        r.operator(DEMO);
        r.throughTunnel(throughTunnel);
        return r;
    }

    @Test
    void aConnectionThroughTheTunnelIsStrandedOnceItsOperatorIsAttachedAtAnotherPop() {
        Map<String, Attachment> where = new java.util.HashMap<>(Map.of("demo", new Attachment.AtPop("pop2")));
        AttachmentLookup lookup = operator -> where.getOrDefault(operator, Attachment.UNKNOWN);

        assertThat(lookup.strandedAt(record(true), "pop2")).as("attached here").isFalse();
        assertThat(lookup.strandedAt(record(true), "pop1"))
                .as("attached at pop2, seen from pop1")
                .isTrue();
        assertThat(lookup.strandedAt(record(false), "pop1"))
                .as("not through this PoP's tunnel (handed over the backhaul, or not dialed yet)")
                .isFalse();

        where.put("demo", Attachment.LOCAL);
        assertThat(lookup.strandedAt(record(true), "pop1")).as("attached here").isFalse();
        where.put("demo", Attachment.UNKNOWN);
        assertThat(lookup.strandedAt(record(true), "pop1"))
                .as("never seen attached")
                .isFalse();

        ConnectionRecord unrouted = new ConnectionRecord(Listener.TLS, new InetSocketAddress("192.0.2.7", 40001), 0, 0);
        assertThat(AttachmentLookup.LOCAL.strandedAt(unrouted, "pop1"))
                .as("no operator")
                .isFalse();
    }
}
