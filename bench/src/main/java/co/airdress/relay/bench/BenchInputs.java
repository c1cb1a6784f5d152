package co.airdress.relay.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

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

    /** How many extension orders {@link #permutedExtensions} draws: a power of two, for a cheap cycle. */
    static final int PERMUTATIONS = 64;

    /**
     * {@value #PERMUTATIONS} copies of a ClientHello record (one record, one hello) whose
     * extensions are shuffled with a fixed seed, as Chromium (BoringSSL's extension permutation,
     * since Chrome 110) does for every connection; a GREASE extension first or last stays in
     * place, where BoringSSL puts them. A parser that stops at server_name does less work the
     * earlier it comes; these inputs put it everywhere.
     */
    static byte[][] permutedExtensions(byte[] record) {
        int p = 5 + 4 + 2 + 32;
        p += 1 + (record[p] & 0xff);
        p += 2 + u16(record, p);
        p += 1 + (record[p] & 0xff);
        final int extensionsStart = p + 2;
        final int end = extensionsStart + u16(record, p);
        if (end != record.length) {
            throw new IllegalArgumentException("not one record holding exactly one ClientHello with extensions");
        }
        final List<byte[]> extensions = new ArrayList<>();
        for (int q = extensionsStart; q < end; ) {
            final int length = 4 + u16(record, q + 2);
            extensions.add(Arrays.copyOfRange(record, q, q + length));
            q += length;
        }
        final int first = isGrease(extensions.getFirst()) ? 1 : 0;
        final int last = extensions.size() - (isGrease(extensions.getLast()) ? 1 : 0);
        final Random random = new Random(0x5eed);
        final byte[][] out = new byte[PERMUTATIONS][];
        for (int k = 0; k < PERMUTATIONS; k++) {
            Collections.shuffle(extensions.subList(first, last), random);
            final byte[] copy = Arrays.copyOf(record, record.length);
            int q = extensionsStart;
            for (byte[] extension : extensions) {
                System.arraycopy(extension, 0, copy, q, extension.length);
                q += extension.length;
            }
            out[k] = copy;
        }
        return out;
    }

    private static boolean isGrease(byte[] extension) {
        return extension[0] == extension[1] && (extension[0] & 0x0f) == 0x0a;
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    /** Fails if the code under test wrote into an input that every op reuses. */
    static void requireUnchanged(ByteBuf whole, byte[] expected, String what) {
        if (!Arrays.equals(ByteBufUtil.getBytes(whole, 0, expected.length), expected)) {
            throw new IllegalStateException(what + ": input buffer was modified");
        }
    }

    private BenchInputs() {}
}
