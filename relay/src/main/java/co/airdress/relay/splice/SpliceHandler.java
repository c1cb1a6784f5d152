package co.airdress.relay.splice;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * One direction of the relay: what this channel reads is written to its peer.
 *
 * <p>Backpressure: reads are requested one batch at a time (auto-read off); after a batch the
 * peer is flushed, and the next read is requested only while the peer is writable. When the peer
 * becomes writable again (its outbound buffer drained below the low watermark) the peer's handler
 * requests the read. So each direction holds at most the high watermark plus one read.
 *
 * <p>Half-close: when this side's input ends (FIN), the peer's output is shut down once what was
 * written before is flushed, and the peer's own FIN then closes both channels (after flushing).
 */
abstract class SpliceHandler extends ChannelInboundHandlerAdapter {

    final ConnectionRecord record;
    private final Counter bytes;
    private @Nullable Channel peer;
    private @Nullable SpliceHandler peerHandler;
    private boolean inputEnded;

    SpliceHandler(ConnectionRecord record, Counter bytes) {
        this.record = requireNonNull(record, "record");
        this.bytes = requireNonNull(bytes, "bytes");
    }

    /** Pairs two handlers once both channels exist. */
    static void pair(SpliceHandler a, Channel aChannel, SpliceHandler b, Channel bChannel) {
        a.peer = bChannel;
        a.peerHandler = b;
        b.peer = aChannel;
        b.peerHandler = a;
    }

    /** Counts bytes read on this side (the direction this handler relays). */
    abstract void counted(long n);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel p = peer;
        if (p == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf b) {
            int n = b.readableBytes();
            counted(n);
            bytes.increment(n);
        }
        // voidPromise: a failed write surfaces as exceptionCaught on the peer, which closes both.
        p.write(msg, p.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel p = peer;
        if (p == null) {
            return;
        }
        p.flush();
        if (p.isWritable()) {
            readMore(ctx.channel());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel p = peer;
        if (p != null && ctx.channel().isWritable()) {
            readMore(p);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            Channel p = peer;
            if (p == null) {
                ctx.close();
                return;
            }
            if (peerHandler != null && peerHandler.inputEnded) {
                closeOnFlush(p);
                closeOnFlush(ctx.channel());
                return;
            }
            if (p instanceof DuplexChannel d) {
                p.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        // The peer's own end of input will now finish the relay, so let it close
                        // the peer outright: a half-close would cost a shutdown(SHUT_RD), which
                        // fails with ENOTCONN (an exception) once the other end has gone.
                        p.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                        d.shutdownOutput();
                    } else {
                        p.close();
                    }
                });
            } else {
                closeOnFlush(p);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Channel p = peer;
        if (p != null) {
            closeOnFlush(p);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // I/O errors (reset by peer, broken pipe) end the relay; they are not the relay's faults.
        Channel p = peer;
        ctx.close();
        if (p != null) {
            closeOnFlush(p);
        }
    }

    /** Starts relaying: the first read on this side. */
    static void start(Channel ch) {
        readMore(ch);
    }

    private static void readMore(Channel ch) {
        if (ch.isActive() && !(ch instanceof DuplexChannel d && d.isInputShutdown())) {
            ch.read();
        }
    }

    static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
