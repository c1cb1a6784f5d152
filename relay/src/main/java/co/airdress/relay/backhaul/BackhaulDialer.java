package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.dial.DirectDialer;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.listen.RelayInitializer;
import co.airdress.relay.peek.Peeked;
import co.airdress.relay.proxy.ProxyHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dial step of a PoP with a backhaul: an operator attached at another PoP of the mesh is
 * reached through that PoP's backhaul listener (its mesh address, {@code backhaul.port}), with a
 * PROXY v2 header that carries the client's and the destination's addresses, AUTHORITY = the host,
 * the client's ALPN and this PoP's name as the ingress PoP (TLV 0xE1); every other operator is
 * dialed by {@code local}. The choice is made once per connection, in {@link #dial}, and the
 * upstream channel remembers it for {@link #header}.
 *
 * <p>An attachment at a PoP that is not in the mesh (it never announced itself, or left) is
 * counted ({@code unknown_pop}) and the connection is dialed locally, which answers at once when
 * the operator is not reachable here either.
 *
 * <p>When that PoP dies, the connections that reach this PoP before the operator's attachment
 * moves are dialed to a peer that will not answer. Their dials are watched: once the attachment
 * names another PoP (the operator re-attached, here or elsewhere), the dial is abandoned
 * ({@code attachment_moved}) and {@link #rerouted} has the connection dialed again where the
 * operator is now, instead of waiting out the connect timeout and answering 502.
 */
public final class BackhaulDialer implements OperatorDialer {

    private static final Logger log = LoggerFactory.getLogger(BackhaulDialer.class);

    /** Set on an upstream channel that goes to a peer PoP: that PoP's name. */
    static final AttributeKey<String> DELIVERY = AttributeKey.valueOf("backhaul.delivery");

    private final OperatorDialer local;
    private final DirectDialer direct;
    private final AttachmentLookup attachments;
    private final PopTable pops;
    private final List<InetAddress> ownMesh;
    private final int port;
    private final String self;
    private final BackhaulMetrics metrics;

    /**
     * @param local dials operators attached here
     * @param direct opens the TCP connections to peer PoPs
     * @param ownMesh this PoP's mesh addresses (the families the mesh has)
     * @param port the peers' backhaul listener port ({@code backhaul.port}, the same network-wide)
     * @param self this PoP's name
     */
    public BackhaulDialer(
            OperatorDialer local,
            DirectDialer direct,
            AttachmentLookup attachments,
            PopTable pops,
            List<InetAddress> ownMesh,
            int port,
            String self,
            BackhaulMetrics metrics) {
        this.local = requireNonNull(local, "local");
        this.direct = requireNonNull(direct, "direct");
        this.attachments = requireNonNull(attachments, "attachments");
        this.pops = requireNonNull(pops, "pops");
        this.ownMesh = List.copyOf(ownMesh);
        this.port = port;
        this.self = requireNonNull(self, "self");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** The peer PoP's listener for {@code operator}, or null to dial locally. */
    private @Nullable Target target(Operator operator) {
        String pop = attachments.attachedElsewhere(operator.name(), self);
        if (pop == null) {
            return null;
        }
        InetAddress address = pops.meshAddress(pop, ownMesh);
        if (address == null) {
            metrics.refused(BackhaulMetrics.Refusal.UNKNOWN_POP);
            log.debug("operator {} is attached at {}, which is not in the mesh: dialing locally", operator.name(), pop);
            return null;
        }
        return new Target(pop, new InetSocketAddress(address, port));
    }

    private record Target(String pop, InetSocketAddress address) {}

    @Override
    public boolean mayReach(Operator operator, Listener listener) {
        String pop = attachments.attachedElsewhere(operator.name(), self);
        if (pop != null && pops.meshAddress(pop, ownMesh) != null) {
            return true; // the peer decides, and answers through the splice
        }
        return local.mayReach(operator, listener);
    }

    @Override
    public ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend) {
        Target t = target(operator);
        if (t == null) {
            return local.dial(client, operator, listener, backend);
        }
        long start = System.nanoTime();
        ChannelFuture connect = direct.connect(client, t.address(), backend);
        connect.channel().attr(DELIVERY).set(t.pop());
        // Fails the connect once the operator left t.pop(): counted and logged below.
        AttachmentWatch.abandonOnceMoved(connect, () -> !attachedAt(operator.name(), t.pop()));
        connect.addListener((ChannelFutureListener) f -> {
            metrics.dialTime(t.pop(), System.nanoTime() - start);
            if (!f.isSuccess()) {
                if (!attachedAt(operator.name(), t.pop())) {
                    metrics.refused(BackhaulMetrics.Refusal.ATTACHMENT_MOVED);
                    log.info(
                            "operator {} left {} while this PoP dialed it there: dialing again where it is now",
                            operator.name(),
                            t.pop());
                    return;
                }
                metrics.refused(BackhaulMetrics.Refusal.DIAL_FAILED);
                log.warn(
                        "backhaul to {} at {} for operator {}: {}",
                        t.pop(),
                        t.address(),
                        operator.name(),
                        f.cause().toString());
                return;
            }
            metrics.connection("out", t.pop());
            ConnectionRecord record = client.attr(RelayInitializer.RECORD).get();
            if (record != null) {
                record.deliveryPop(t.pop());
                client.closeFuture()
                        .addListener(c ->
                                metrics.bytes("out", t.pop(), record.clientToUpstream(), record.upstreamToClient()));
            }
        });
        return connect;
    }

    private boolean attachedAt(String operator, String pop) {
        return attachments.attachment(operator) instanceof Attachment.AtPop(String at) && at.equals(pop);
    }

    /**
     * True when {@code failed} went to a peer PoP and the operator is now attached somewhere else
     * (another peer, or here): one more dial is worth it.
     */
    @Override
    public boolean rerouted(Operator operator, Channel failed) {
        String was = failed.attr(DELIVERY).get();
        if (was == null) {
            return local.rerouted(operator, failed);
        }
        return !attachedAt(operator.name(), was);
    }

    @Override
    public @Nullable HAProxyMessage header(
            Channel client, Channel upstream, Operator operator, Peeked peeked, String pop) {
        if (!upstream.hasAttr(DELIVERY)) {
            return local.header(client, upstream, operator, peeked, pop);
        }
        return ProxyHeader.message(
                ProxyProtocol.V2,
                (InetSocketAddress) client.remoteAddress(),
                (InetSocketAddress) client.localAddress(),
                peeked.host(),
                peeked.alpn(),
                null,
                self,
                upstream.alloc());
    }
}
