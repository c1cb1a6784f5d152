package co.airdress.relay.attach;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.backhaul.AttachmentLookup;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.tunnel.PeerEvent;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.wireguard.OperatorTunnel.OperatorPeerEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TunnelAttachmentsTest {

    private static final WireGuardKey ALICE_KEY = WireGuardKey.of(new byte[32]);
    private static final Operator ALICE = new Operator(
            "alice",
            List.of("alice.example.test"),
            null,
            ProxyProtocol.NONE,
            new WireGuardPeer(ALICE_KEY, InetAddress.ofLiteral("fd00:a1d::a")));
    private static final Operator BOB = new Operator("bob", List.of("bob.example.test"), null, ProxyProtocol.NONE);
    private static final InetSocketAddress ENDPOINT =
            new InetSocketAddress(InetAddress.ofLiteral("198.51.100.7"), 40000);
    private static final Instant T = Instant.parse("2026-01-02T03:04:05Z");

    private record Published(String operator, List<Integer> indexes, InetSocketAddress endpoint, Instant at) {}

    private final Attachments attachments = new Attachments();
    private final List<Published> published = new ArrayList<>();
    private final Map<String, Operator> directory = Map.of("alice", ALICE, "bob", BOB);
    private final TunnelAttachments links = new TunnelAttachments(
            attachments,
            "pop-a",
            (operator, indexes, endpoint, at) -> {
                List<Integer> list = new ArrayList<>();
                for (int i : indexes) {
                    list.add(i);
                }
                published.add(new Published(operator, list, endpoint, at));
                return true;
            },
            directory::get);

    @Test
    void aHandshakeCompletedHereIsPublishedWithTheIndexesThisPopIssued() {
        links.accept(new OperatorPeerEvent(
                "alice", new PeerEvent.HandshakeCompleted(ALICE_KEY, List.of(7, -3), ENDPOINT, T)));
        assertThat(published).containsExactly(new Published("alice", List.of(7, -3), ENDPOINT, T));
    }

    @Test
    void peersOfNoOperatorAndEndedPeersPublishNothing() {
        links.accept(new OperatorPeerEvent(null, new PeerEvent.HandshakeCompleted(ALICE_KEY, List.of(7), ENDPOINT, T)));
        links.accept(new OperatorPeerEvent("alice", new PeerEvent.Ended(ALICE_KEY, PeerEvent.Reason.IDLE, T)));
        assertThat(published).isEmpty();
    }

    @Test
    void moreIndexesThanARecordHoldsPublishTheNewest() {
        List<Integer> many = new ArrayList<>();
        for (int i = 0; i < Attachment.MAX_RECEIVER_INDEXES + 4; i++) {
            many.add(i);
        }
        links.accept(new OperatorPeerEvent("alice", new PeerEvent.HandshakeCompleted(ALICE_KEY, many, ENDPOINT, T)));
        assertThat(published.getFirst().indexes()).isEqualTo(many.subList(0, Attachment.MAX_RECEIVER_INDEXES));
    }

    @Test
    void anIndexAnotherPopIssuedResolvesToItsOperatorsKey() {
        attachments.put(new Attachment("alice", "pop-b", T, new int[] {42, 43}, ENDPOINT));
        assertThat(links.resolve(42)).isEqualTo(ALICE_KEY);
        assertThat(links.resolve(43)).isEqualTo(ALICE_KEY);
        assertThat(links.resolve(44)).isNull();
    }

    @Test
    void theEndpointWhereTheIssuingPopLastSawTheOperatorIsKnown() {
        attachments.put(new Attachment("alice", "pop-b", T, new int[] {42}, ENDPOINT));
        assertThat(links.lastSeenAt(42, ENDPOINT)).isTrue();
        assertThat(links.lastSeenAt(42, new InetSocketAddress(ENDPOINT.getAddress(), ENDPOINT.getPort() + 1)))
                .isFalse();
        assertThat(links.lastSeenAt(44, ENDPOINT)).isFalse();
    }

    @Test
    void anIndexOfAnOperatorGoneFromTheDirectoryOrWithoutTunnelResolvesToNothing() {
        attachments.put(new Attachment("carol", "pop-b", T, new int[] {5}, ENDPOINT));
        attachments.put(new Attachment("bob", "pop-b", T, new int[] {6}, ENDPOINT));
        assertThat(links.resolve(5)).isNull();
        assertThat(links.resolve(6)).isNull();
    }

    @Test
    void theBackhaulLearnsWhereAnOperatorIsAttached() {
        AttachmentLookup lookup = links;
        assertThat(lookup.attachment("alice")).isEqualTo(co.airdress.relay.backhaul.Attachment.UNKNOWN);
        attachments.put(new Attachment("alice", "pop-a", T, new int[] {1}, ENDPOINT));
        assertThat(lookup.attachment("alice")).isEqualTo(co.airdress.relay.backhaul.Attachment.LOCAL);
        attachments.put(new Attachment("alice", "pop-b", T.plusSeconds(1), new int[] {2}, ENDPOINT));
        assertThat(lookup.attachment("alice")).isEqualTo(new co.airdress.relay.backhaul.Attachment.AtPop("pop-b"));
    }
}
