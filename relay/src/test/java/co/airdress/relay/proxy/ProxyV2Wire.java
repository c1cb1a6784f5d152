package co.airdress.relay.proxy;

import co.airdress.relay.config.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import java.net.InetSocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** v2 headers as the relay writes them (through {@link ProxyHeader}), and feeding helpers. */
final class ProxyV2Wire {

    private ProxyV2Wire() {}

    static byte[] header(
            InetSocketAddress src,
            InetSocketAddress dst,
            String authority,
            List<String> alpn,
            @Nullable String pop,
            @Nullable String ingress) {
        HAProxyMessage m = ProxyHeader.message(
                ProxyProtocol.V2, src, dst, authority, alpn, pop, ingress, ByteBufAllocator.DEFAULT);
        EmbeddedChannel ch = new EmbeddedChannel();
        ProxyHeader.write(ch, m);
        ch.flush();
        ByteBuf wire = ch.readOutbound();
        try {
            byte[] out = new byte[wire.readableBytes()];
            wire.readBytes(out);
            return out;
        } finally {
            wire.release();
            ch.finishAndReleaseAll();
        }
    }

    static byte[] backhaulHeader() {
        return header(
                new InetSocketAddress("198.51.100.7", 40123),
                new InetSocketAddress("192.0.2.1", 443),
                "demo.example.test",
                List.of("h2", "http/1.1"),
                null,
                "pop1");
    }

    /** Feeds {@code data[off, off+len)} inside a buffer with junk around it; checks the indices stay. */
    static ProxyV2Decoder.Status feed(ProxyV2Decoder d, byte[] data, int off, int len) {
        ByteBuf buf = Unpooled.buffer(len + 4);
        buf.writeBytes(new byte[] {0x55, 0x55});
        buf.writeBytes(data, off, len);
        buf.writeByte(0x7f);
        buf.readerIndex(2);
        buf.writerIndex(2 + len);
        try {
            ProxyV2Decoder.Status s = d.feed(buf);
            if (buf.readerIndex() != 2 || buf.writerIndex() != 2 + len) {
                throw new AssertionError("feed() moved the buffer's indices");
            }
            if (d.usedOfLast() < 0 || d.usedOfLast() > len) {
                throw new AssertionError("usedOfLast " + d.usedOfLast() + " outside 0.." + len);
            }
            return s;
        } finally {
            buf.release();
        }
    }

    /** Feeds in chunks of {@code chunk} bytes until decided; returns the total bytes the header took. */
    static int feedInChunks(ProxyV2Decoder d, byte[] data, int chunk) {
        int used = 0;
        for (int off = 0; off < data.length; off += chunk) {
            ProxyV2Decoder.Status s = feed(d, data, off, Math.min(chunk, data.length - off));
            used += d.usedOfLast();
            if (s != ProxyV2Decoder.Status.NEED_MORE) {
                break;
            }
        }
        return used;
    }
}
