package co.airdress.relay.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * feed() allocates nothing: thousands of reset+feed rounds on real inputs, whole and byte by
 * byte, leave the thread's allocation counter where it was (give or take the counter's own
 * noise). The JMH benchmark in bench/ measures the same with its GC profiler.
 */
class AllocationTest {

    private static final int ROUNDS = 2_000;
    /** Slack for the measurement itself, far below one byte per round. */
    private static final long NOISE = 1_024;

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Buffers of each kind a socket read may hand us, none of them leak-tracked (tracking allocates). */
    static List<Arguments> buffers() {
        return List.of(
                Arguments.of("heap", (Function<byte[], ByteBuf>) Unpooled::wrappedBuffer),
                Arguments.of("direct", (Function<byte[], ByteBuf>) AllocationTest::direct),
                Arguments.of("read-only direct", (Function<byte[], ByteBuf>)
                        b -> direct(b).asReadOnly()));
    }

    static ByteBuf direct(byte[] bytes) {
        return Unpooled.wrappedBuffer(
                ByteBuffer.allocateDirect(bytes.length).put(bytes).flip());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("buffers")
    void clientHelloFeedAllocatesNothing(String kind, Function<byte[], ByteBuf> buffer) {
        byte[] wire = Fixtures.clientHello("chromium").bytes();
        ByteBuf whole = buffer.apply(wire);
        ByteBuf[] bytes = new ByteBuf[wire.length];
        for (int i = 0; i < wire.length; i++) {
            bytes[i] = buffer.apply(new byte[] {wire[i]});
        }
        ClientHelloPeek peek = new ClientHelloPeek();
        long checksum = 0;
        for (int warm = 0; warm < 2; warm++) {
            long before = allocated();
            for (int r = 0; r < ROUNDS; r++) {
                peek.reset();
                checksum += peek.feed(whole).ordinal() + peek.hostLength();
                peek.reset();
                for (ByteBuf b : bytes) {
                    peek.feed(b);
                }
                checksum += peek.hostByteAt(0);
            }
            long after = allocated();
            if (warm == 1) {
                assertThat(after - before)
                        .as("bytes allocated by %d rounds", ROUNDS)
                        .isLessThan(NOISE);
            }
        }
        assertThat(checksum).isNotZero();
        assertThat(peek.status()).isEqualTo(ClientHelloPeek.Status.FOUND);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("buffers")
    void httpHeadFeedAllocatesNothing(String kind, Function<byte[], ByteBuf> buffer) {
        byte[] wire = Fixtures.httpHead("chromium").bytes();
        ByteBuf whole = buffer.apply(wire);
        HttpHeadPeek peek = new HttpHeadPeek();
        long checksum = 0;
        for (int warm = 0; warm < 2; warm++) {
            long before = allocated();
            for (int r = 0; r < ROUNDS; r++) {
                peek.reset();
                checksum += peek.feed(whole).ordinal() + peek.hostLength();
            }
            long after = allocated();
            if (warm == 1) {
                assertThat(after - before)
                        .as("bytes allocated by %d rounds", ROUNDS)
                        .isLessThan(NOISE);
            }
        }
        assertThat(checksum).isNotZero();
        assertThat(peek.status()).isEqualTo(HttpHeadPeek.Status.FOUND);
    }
}
