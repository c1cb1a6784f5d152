package co.airdress.relay.attach;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.backhaul.AttachmentLookup;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.tunnel.IndexResolver;
import co.airdress.relay.tunnel.PeerEvent;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.wireguard.OperatorTunnel;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What ties this PoP's operator tunnel to the network's attachments, three ways:
 *
 * <ul>
 *   <li>each handshake the tunnel completes with an operator is published as this PoP's attachment
 *       (a {@link Consumer} of the tunnel's peer events);
 *   <li>a receiver index the tunnel never issued is resolved to the key of the operator another
 *       PoP issued it to, so the tunnel can initiate a handshake at once (an {@link
 *       IndexResolver}, the re-attachment fast path);
 *   <li>a connection routed to an operator attached at another PoP is handed to that PoP over the
 *       backhaul (an {@link AttachmentLookup}).
 * </ul>
 *
 * Look-ups answer from memory and never block on I/O.
 */
public final class TunnelAttachments
        implements Consumer<OperatorTunnel.OperatorPeerEvent>, IndexResolver, AttachmentLookup {

    private static final Logger log = LoggerFactory.getLogger(TunnelAttachments.class);

    /** Publishes this PoP's attachment ({@link KafkaAttachments#publishLocal}). */
    @FunctionalInterface
    public interface Publisher {
        boolean publishLocal(String operator, int[] receiverIndexes, InetSocketAddress endpoint, Instant at);
    }

    private final Attachments attachments;
    private final String pop;
    private final Publisher publisher;
    private final Function<String, @Nullable Operator> directory;

    /**
     * @param attachments the network's attachments as this PoP knows them
     * @param pop this PoP's name
     * @param publisher where this PoP's own handshakes go
     * @param directory the operator of a name in the directory in force, or null
     */
    public TunnelAttachments(
            Attachments attachments, String pop, Publisher publisher, Function<String, @Nullable Operator> directory) {
        this.attachments = requireNonNull(attachments, "attachments");
        this.pop = requireNonNull(pop, "pop");
        this.publisher = requireNonNull(publisher, "publisher");
        this.directory = requireNonNull(directory, "directory");
    }

    /** The tunnel's and the backhaul's links to {@code attachments} (the Kafka-backed ones). */
    public static TunnelAttachments of(KafkaAttachments attachments, Function<String, @Nullable Operator> directory) {
        requireNonNull(attachments, "attachments");
        return new TunnelAttachments(
                attachments.attachments(), attachments.pop(), attachments::publishLocal, directory);
    }

    /** A handshake completed here: this PoP is now the operator's attachment. */
    @Override
    public void accept(OperatorTunnel.OperatorPeerEvent event) {
        String operator = event.operator();
        if (operator == null || !(event.event() instanceof PeerEvent.HandshakeCompleted done)) {
            return;
        }
        List<Integer> indexes = done.localIndexes();
        int[] issued = new int[Math.min(indexes.size(), Attachment.MAX_RECEIVER_INDEXES)];
        for (int i = 0; i < issued.length; i++) {
            issued[i] = indexes.get(i);
        }
        try {
            publisher.publishLocal(operator, issued, done.endpoint(), done.at());
        } catch (IllegalArgumentException e) {
            // An endpoint that is no IP address and port, say: nothing another PoP could use.
            log.warn("attachment of {} not published: {}", operator, e.getMessage());
        }
    }

    @Override
    public @Nullable WireGuardKey resolve(int index) {
        String name = attachments.operatorOf(index);
        if (name == null) {
            return null;
        }
        Operator operator = directory.apply(name);
        WireGuardPeer peer = operator == null ? null : operator.wireguard();
        return peer == null ? null : peer.publicKey();
    }

    @Override
    public boolean lastSeenAt(int index, InetSocketAddress source) {
        Attachment at = attachments.attachmentOf(index);
        return at != null && at.endpoint().equals(source);
    }

    @Override
    public co.airdress.relay.backhaul.Attachment attachment(String operator) {
        Attachment at = attachments.attachment(operator);
        if (at == null) {
            return co.airdress.relay.backhaul.Attachment.UNKNOWN;
        }
        return at.pop().equals(pop)
                ? co.airdress.relay.backhaul.Attachment.LOCAL
                : new co.airdress.relay.backhaul.Attachment.AtPop(at.pop());
    }
}
