package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.Operator;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.peek.Peeked;
import co.airdress.relay.proxy.ProxyHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dial step of a connection that came over the backhaul: only to the operator's local tunnel
 * (or direct upstream), never over the backhaul again. An operator attached at another PoP by now
 * is refused by {@link #mayReach}, which answers the client through the ingress PoP with the usual
 * 502 / TLS alert; so is one whose operator moves away while it is dialed (its tunnel here no
 * longer answers: the dial is abandoned, counted as {@code not_local}, instead of holding the
 * connection, and a drain of this PoP, until the connect timeout). The operator's PROXY header,
 * when it wants one, carries the original client and destination ({@link Origin}), this PoP as
 * the delivering PoP and the ingress PoP (TLV 0xE1).
 */
final class DeliveringDialer implements OperatorDialer {

    private static final Logger log = LoggerFactory.getLogger(DeliveringDialer.class);

    private final OperatorDialer local;
    private final AttachmentLookup attachments;
    private final String self;
    private final BackhaulMetrics metrics;

    DeliveringDialer(OperatorDialer local, AttachmentLookup attachments, String self, BackhaulMetrics metrics) {
        this.local = requireNonNull(local, "local");
        this.attachments = requireNonNull(attachments, "attachments");
        this.self = requireNonNull(self, "self");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public boolean mayReach(Operator operator, Listener listener) {
        String pop = attachments.attachedElsewhere(operator.name(), self);
        if (pop != null) {
            metrics.refused(BackhaulMetrics.Refusal.NOT_LOCAL);
            log.info("backhauled connection for operator {} refused: it is attached at {} now", operator.name(), pop);
            return false;
        }
        return local.mayReach(operator, listener);
    }

    @Override
    public ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend) {
        ChannelFuture connect = local.dial(client, operator, listener, backend);
        AttachmentWatch.abandonOnceMoved(connect, () -> attachments.attachedElsewhere(operator.name(), self) != null);
        connect.addListener(f -> {
            String pop = f.isSuccess() ? null : attachments.attachedElsewhere(operator.name(), self);
            if (pop != null) {
                metrics.refused(BackhaulMetrics.Refusal.NOT_LOCAL);
                log.info(
                        "backhauled connection for operator {} abandoned while dialing: it is attached at {} now",
                        operator.name(),
                        pop);
            }
        });
        return connect;
    }

    @Override
    public @Nullable HAProxyMessage header(
            Channel client, Channel upstream, Operator operator, Peeked peeked, String pop) {
        Origin origin = client.attr(Origin.KEY).get();
        if (origin == null) {
            return local.header(client, upstream, operator, peeked, pop);
        }
        return ProxyHeader.message(
                operator.proxyProtocol(),
                origin.client(),
                origin.destination(),
                peeked.host(),
                peeked.alpn(),
                pop,
                origin.ingressPop(),
                upstream.alloc());
    }
}
