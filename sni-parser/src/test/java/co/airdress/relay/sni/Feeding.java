package co.airdress.relay.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Function;

/** Feeds byte arrays to a peek in chunks, checking that feed() leaves the chunk's indices alone. */
final class Feeding {

    private Feeding() {}

    /** Feeds {@code data} in chunks of at most {@code chunk} bytes; stops early once decided. */
    static <S extends Enum<S>> S feedInChunks(byte[] data, int chunk, Function<ByteBuf, S> feed, S needMore) {
        S status = needMore;
        for (int off = 0; off < data.length; off += chunk) {
            status = feedOne(data, off, Math.min(chunk, data.length - off), feed);
            if (status != needMore) {
                break;
            }
        }
        return status;
    }

    /** Feeds {@code data[0, split)} then {@code data[split, end)}. */
    static <S extends Enum<S>> S feedSplit(byte[] data, int split, Function<ByteBuf, S> feed) {
        feedOne(data, 0, split, feed);
        return feedOne(data, split, data.length - split, feed);
    }

    static <S extends Enum<S>> S feedOne(byte[] data, int off, int length, Function<ByteBuf, S> feed) {
        // Surround the chunk with junk the peek must not read, and offset its reader index.
        ByteBuf buf = Unpooled.buffer(length + 8);
        buf.writeBytes(new byte[] {0x16, 3, 1, 0, 0, 0, 0, 0}, 0, 3);
        buf.writeBytes(data, off, length);
        buf.writeByte(0x7f);
        buf.readerIndex(3);
        buf.writerIndex(3 + length);
        try {
            S status = feed.apply(buf);
            if (buf.readerIndex() != 3 || buf.writerIndex() != 3 + length) {
                throw new AssertionError("feed() moved the buffer's indices");
            }
            return status;
        } finally {
            buf.release();
        }
    }
}
