package co.airdress.relay.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds benchmark inputs once, in {@code @Setup}, so slicing is never measured. */
final class BenchInputs {

    /**
     * A read-only direct buffer holding {@code bytes}, like a socket read on the native transport.
     * Read-only so that no code under test can write into an input that is reused every op.
     */
    static ByteBuf direct(byte[] bytes) {
        return Unpooled.directBuffer(bytes.length).writeBytes(bytes).asReadOnly();
    }

    /** One 1-byte slice per byte of {@code whole}; slices share its memory and reference count. */
    static ByteBuf[] oneByteSlices(ByteBuf whole) {
        ByteBuf[] slices = new ByteBuf[whole.readableBytes()];
        for (int i = 0; i < slices.length; i++) {
            slices[i] = whole.slice(whole.readerIndex() + i, 1);
        }
        return slices;
    }

    private BenchInputs() {}
}
