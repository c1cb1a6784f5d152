package co.airdress.relay.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;

/** Builds benchmark inputs once, in {@code @Setup}, so slicing is never measured. */
final class BenchInputs {

    /**
     * A buffer holding {@code bytes} from Netty's default allocator (4.2: adaptive, direct by
     * default), i.e. the kind of buffer a socket read hands to the pipeline; {@code heap} for the
     * heap variant.
     */
    static ByteBuf buffer(String kind, byte[] bytes) {
        ByteBuf buf = switch (kind) {
            case "direct" -> ByteBufAllocator.DEFAULT.directBuffer(bytes.length);
            case "heap" -> ByteBufAllocator.DEFAULT.heapBuffer(bytes.length);
            default -> throw new IllegalArgumentException("buffer: " + kind + " (expected: direct or heap)");
        };
        return buf.writeBytes(bytes);
    }

    /** One 1-byte slice per byte of {@code whole}; slices share its memory and reference count. */
    static ByteBuf[] oneByteSlices(ByteBuf whole) {
        ByteBuf[] slices = new ByteBuf[whole.readableBytes()];
        for (int i = 0; i < slices.length; i++) {
            slices[i] = whole.slice(whole.readerIndex() + i, 1);
        }
        return slices;
    }

    /** Fails if the code under test wrote into an input that every op reuses. */
    static void requireUnchanged(ByteBuf whole, byte[] expected, String what) {
        if (!Arrays.equals(ByteBufUtil.getBytes(whole, 0, expected.length), expected)) {
            throw new IllegalStateException(what + ": input buffer was modified");
        }
    }

    private BenchInputs() {}
}
