package co.airdress.relay.listen;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.AccessLog;
import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.dial.DialHandler;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.peek.HttpPeekHandler;
import co.airdress.relay.peek.TlsPeekHandler;
import co.airdress.relay.route.RouteHandler;
import co.airdress.relay.route.Routes;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * The pipeline every accepted connection starts with, in path order: connection limit, peek,
 * route, dial (which hands over to the splice). Each step removes itself when done. The
 * connection's record goes to the access log and the metrics when it closes.
 */
public final class RelayInitializer extends ChannelInitializer<Channel> {

    public static final AttributeKey<ConnectionRecord> RECORD = AttributeKey.valueOf("relay.record");

    private final Listener listener;
    private final RelayConfig config;
    private final Routes routes;
    private final OperatorDialer dialer;
    private final DataPathMetrics metrics;
    private final AccessLog accessLog;
    private final ConnectionLimitHandler limit;
    private final AddressCounter peeking;
    private final ChannelGroup clients;

    public RelayInitializer(
            Listener listener,
            RelayConfig config,
            Routes routes,
            OperatorDialer dialer,
            DataPathMetrics metrics,
            AccessLog accessLog,
            ConnectionLimitHandler limit,
            AddressCounter peeking,
            ChannelGroup clients) {
        this.listener = requireNonNull(listener, "listener");
        this.config = requireNonNull(config, "config");
        this.routes = requireNonNull(routes, "routes");
        this.dialer = requireNonNull(dialer, "dialer");
        this.metrics = requireNonNull(metrics, "metrics");
        this.accessLog = requireNonNull(accessLog, "accessLog");
        this.limit = requireNonNull(limit, "limit");
        this.peeking = requireNonNull(peeking, "peeking");
        this.clients = requireNonNull(clients, "clients");
    }

    @Override
    protected void initChannel(Channel ch) {
        InetSocketAddress remote = ch.remoteAddress() instanceof InetSocketAddress a ? a : null;
        ConnectionRecord record = new ConnectionRecord(listener, remote, System.nanoTime(), System.currentTimeMillis());
        ch.attr(RECORD).set(record);
        metrics.accepted(listener);
        clients.add(ch);
        ch.closeFuture().addListener(f -> {
            Outcome recorded = record.outcome();
            Outcome o = recorded == null ? Outcome.CLOSED : recorded;
            metrics.closed(listener, o);
            Operator op = record.operator();
            if (op != null) {
                metrics.operatorClosed(op.name(), o, record.clientToUpstream(), record.upstreamToClient());
            }
            accessLog.write(record, System.nanoTime());
        });
        RelayConfig.Limits limits = config.limits();
        RelayConfig.Timeouts timeouts = config.timeouts();
        ChannelPipeline p = ch.pipeline();
        p.addLast(ConnectionLimitHandler.NAME, limit);
        if (listener == Listener.TLS) {
            p.addLast(
                    TlsPeekHandler.NAME,
                    new TlsPeekHandler(
                            record, metrics, peeking, timeouts.peek(), limits.maxClientHello(), limits.maxTlsPeek()));
        } else {
            p.addLast(
                    HttpPeekHandler.NAME,
                    new HttpPeekHandler(record, metrics, peeking, timeouts.peek(), limits.maxHttpHead()));
        }
        p.addLast(RouteHandler.NAME, new RouteHandler(record, routes));
        p.addLast(DialHandler.NAME, new DialHandler(record, dialer, metrics, config.pop(), timeouts.idle()));
    }
}
