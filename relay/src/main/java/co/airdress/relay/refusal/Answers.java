package co.airdress.relay.refusal;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.listen.Listener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes a {@link Refusal}'s answer and closes. The close lingers: the relay sends FIN after the
 * answer and discards what the client still sends (up to {@value #LINGER_BYTES} bytes or
 * {@value #LINGER_MILLIS} ms), because closing a socket with unread input sends RST, which can
 * destroy the answer in the client's receive buffer before the client reads it.
 */
public final class Answers {

    static final int LINGER_BYTES = 256 * 1024;
    static final long LINGER_MILLIS = 2000;

    private static final Map<Refusal, byte[]> HTTP = new EnumMap<>(Refusal.class);

    static {
        for (Refusal r : Refusal.values()) {
            String body = r.body() + "\n";
            String response = "HTTP/1.1 " + r.status() + " " + r.reason() + "\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Length: " + body.length() + "\r\n"
                    + "Cache-Control: no-store\r\n"
                    + "Connection: close\r\n\r\n"
                    + body;
            HTTP.put(r, response.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private Answers() {}

    /** The HTTP/1.1 response for a refusal. */
    public static byte[] http(Refusal r) {
        return HTTP.get(r).clone();
    }

    /**
     * A fatal alert record: type 21, the client's record version (so old and new clients both
     * parse it), length 2, level fatal(2), description.
     */
    public static byte[] alert(int recordVersion, int description) {
        int v = recordVersion >= 0x0300 && recordVersion <= 0x0304 ? recordVersion : 0x0303;
        return new byte[] {21, (byte) (v >>> 8), (byte) v, 0, 2, 2, (byte) description};
    }

    /**
     * Answers on {@code ctx}'s channel and closes it. {@code recordVersion} is the client's TLS
     * record version (ignored on the HTTP listener). Removes every handler of the path.
     */
    public static void refuse(ChannelHandlerContext ctx, ConnectionRecord record, Refusal r, int recordVersion) {
        record.outcome(r.outcome());
        Channel ch = ctx.channel();
        ByteBuf answer;
        if (record.listener() == Listener.HTTP) {
            answer = Unpooled.wrappedBuffer(HTTP.get(r));
        } else if (r.alert() >= 0) {
            answer = Unpooled.wrappedBuffer(alert(recordVersion, r.alert()));
        } else {
            ch.close();
            return;
        }
        if (!ch.isActive()) {
            answer.release();
            return;
        }
        ChannelPipeline p = ch.pipeline();
        // The path is over for this connection: its handlers release what they hold as they go.
        while (p.last() != null) {
            p.removeLast();
        }
        p.addLast(LingeringClose.NAME, new LingeringClose());
        // From the channel's head: no handler of the path sees the answer.
        ch.writeAndFlush(answer).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || !(ch instanceof DuplexChannel d) || d.isInputShutdown()) {
                ch.close();
                return;
            }
            d.shutdownOutput().addListener(s -> {
                if (!s.isSuccess()) {
                    ch.close();
                    return;
                }
                ch.config().setOption(ChannelOption.AUTO_READ, true);
            });
        });
        ch.eventLoop()
                .schedule(
                        () -> {
                            ch.close();
                        },
                        LINGER_MILLIS,
                        TimeUnit.MILLISECONDS);
    }

    /** Discards input after an answer, then closes on the client's FIN or a byte budget. */
    static final class LingeringClose extends ChannelInboundHandlerAdapter {
        static final String NAME = "lingering-close";
        private long discarded;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                discarded += b.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (discarded > LINGER_BYTES) {
                ctx.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
                return;
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
