package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.config.Operator;
import co.airdress.relay.dial.DialHandler;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.listen.RelayInitializer;
import co.airdress.relay.peek.Peeked;
import co.airdress.relay.proxy.ProxyV2Decoder;
import co.airdress.relay.route.RouteHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First step of a connection accepted on the backhaul: reads the ingress PoP's PROXY v2 header
 * (within {@code header_timeout} and {@code max_header} bytes) and the first bytes after it (which
 * say the listener: a TLS record or an HTTP request), then gives the connection its record with
 * the original client, puts route and dial after itself, removes itself and passes the bytes on as
 * a {@link Peeked} routed by the header's AUTHORITY. A header that is late, too big, malformed or
 * without the original addresses, AUTHORITY and ingress PoP closes the connection, counted.
 */
final class BackhaulHeaderHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "backhaul-header";

    private static final Logger log = LoggerFactory.getLogger(BackhaulHeaderHandler.class);
    private static final int TLS_HANDSHAKE = 0x16;

    private final BackhaulServer.Inbound inbound;
    private final String peer;
    private final ProxyV2Decoder decoder;
    private ProxyV2Decoder.@Nullable Header header;
    private @Nullable CompositeByteBuf payload;
    private @Nullable ScheduledFuture<?> timeout;
    private boolean done;

    BackhaulHeaderHandler(BackhaulServer.Inbound inbound, String peer) {
        this.inbound = requireNonNull(inbound, "inbound");
        this.peer = requireNonNull(peer, "peer");
        this.decoder = new ProxyV2Decoder(inbound.config().maxHeader());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (timeout != null || done) {
            return;
        }
        long nanos = inbound.config().headerTimeout().toNanos();
        timeout = ctx.executor()
                .schedule(
                        () -> refuse(
                                ctx,
                                BackhaulMetrics.Refusal.HEADER_TIMEOUT,
                                "no header within "
                                        + inbound.config().headerTimeout().toMillis() + " ms"),
                        nanos,
                        TimeUnit.NANOSECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf chunk) || done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (header == null) {
                ProxyV2Decoder.Status s = decoder.feed(chunk);
                switch (s) {
                    case NEED_MORE -> {
                        ctx.read();
                        return;
                    }
                    case TOO_BIG -> {
                        refuse(ctx, BackhaulMetrics.Refusal.HEADER_TOO_BIG, decoder.problem());
                        return;
                    }
                    case MALFORMED -> {
                        refuse(ctx, BackhaulMetrics.Refusal.HEADER_MALFORMED, decoder.problem());
                        return;
                    }
                    case DONE -> {
                        ProxyV2Decoder.Header h = decoder.header();
                        String missing = missing(h);
                        if (missing != null) {
                            refuse(ctx, BackhaulMetrics.Refusal.HEADER_MALFORMED, missing);
                            return;
                        }
                        header = h;
                        payload = ctx.alloc().compositeBuffer();
                        chunk.skipBytes(decoder.usedOfLast());
                    }
                }
            }
            CompositeByteBuf p = payload;
            if (chunk.isReadable() && p != null) {
                p.addComponent(true, chunk.retain());
            }
        } finally {
            chunk.release();
        }
        CompositeByteBuf p = payload;
        if (p == null
                || !p.isReadable()
                || (p.getUnsignedByte(p.readerIndex()) == TLS_HANDSHAKE && p.readableBytes() < 3)) {
            ctx.read();
            return;
        }
        deliver(ctx, p);
    }

    /** What a backhaul header must have, or null when it has it. */
    private static @Nullable String missing(ProxyV2Decoder.@Nullable Header h) {
        if (h == null || h.command() != ProxyV2Decoder.Command.PROXY || h.source() == null || h.destination() == null) {
            return "not a PROXY command with addresses";
        }
        if (h.authority() == null) {
            return "no AUTHORITY";
        }
        if (h.ingressPop() == null) {
            return "no ingress PoP";
        }
        return null;
    }

    private void deliver(ChannelHandlerContext ctx, CompositeByteBuf p) {
        ProxyV2Decoder.Header h = requireNonNull(header, "header");
        done = true;
        payload = null;
        cancelTimeout();
        Channel ch = ctx.channel();
        boolean tls = p.getUnsignedByte(p.readerIndex()) == TLS_HANDSHAKE;
        Listener listener = tls ? Listener.TLS : Listener.HTTP;
        int recordVersion = tls ? p.getUnsignedShort(p.readerIndex() + 1) : 0;
        Origin origin = new Origin(
                requireNonNull(h.source(), "source"),
                requireNonNull(h.destination(), "destination"),
                requireNonNull(h.ingressPop(), "ingressPop"),
                peer);
        ConnectionRecord record =
                new ConnectionRecord(listener, origin.client(), System.nanoTime(), System.currentTimeMillis());
        String host = requireNonNull(h.authority(), "authority");
        record.peeked(host, h.alpn());
        record.ingressPop(origin.ingressPop());
        ch.attr(RelayInitializer.RECORD).set(record);
        ch.attr(Origin.KEY).set(origin);
        inbound.metrics().connection("in", peer);
        inbound.dataPath().accepted(listener);
        ch.closeFuture().addListener(f -> {
            Outcome recorded = record.outcome();
            Outcome o = recorded == null ? Outcome.CLOSED : recorded;
            inbound.dataPath().closed(listener, o);
            Operator op = record.operator();
            if (op != null) {
                inbound.dataPath().operatorClosed(op.name(), o, record.clientToUpstream(), record.upstreamToClient());
            }
            inbound.metrics().bytes("in", peer, record.clientToUpstream(), record.upstreamToClient());
            inbound.accessLog().write(record, System.nanoTime());
        });
        ctx.pipeline().addLast(RouteHandler.NAME, new RouteHandler(record, inbound.routes()));
        ctx.pipeline()
                .addLast(
                        DialHandler.NAME,
                        new DialHandler(record, inbound.dialer(), inbound.dataPath(), inbound.pop(), inbound.idle()));
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(new Peeked(host, h.alpn(), recordVersion, p));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !done) {
            refuse(ctx, BackhaulMetrics.Refusal.HEADER_MALFORMED, "ended before the header and the first bytes");
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void refuse(ChannelHandlerContext ctx, BackhaulMetrics.Refusal reason, @Nullable String why) {
        if (done) {
            return;
        }
        done = true;
        cancelTimeout();
        releasePayload();
        inbound.metrics().refused(reason);
        log.warn(
                "backhaul connection from {} ({}) refused: {}: {}",
                ctx.channel().remoteAddress(),
                peer,
                reason.label(),
                why);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        releasePayload();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimeout();
        releasePayload();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        cancelTimeout();
        releasePayload();
        log.debug("backhaul connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private void cancelTimeout() {
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            timeout = null;
            t.cancel(false);
        }
    }

    private void releasePayload() {
        CompositeByteBuf p = payload;
        if (p != null) {
            payload = null;
            p.release();
        }
    }
}
