package co.airdress.relay.bench;

import co.airdress.relay.sni.Fixtures;
import co.airdress.relay.sni.Fixtures.ClientHelloFixture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Netty 4.2's own SNI extraction on the same inputs as {@link ClientHelloPeekBench}, two ways.
 *
 * <ul>
 *   <li>{@link #handlerWhole} / {@link #handlerOneByte}: the real path. A fresh
 *       {@link AbstractSniHandler} (lookup answers at once with a succeeded future, then the handler
 *       removes itself, as {@code SniHandler} users do) is added to one reused
 *       {@link EmbeddedChannel} and the hello is written inbound, whole or one byte per read.
 *       {@code SslClientHelloHandler} cumulates the reads (ByteToMessageDecoder), reassembles the
 *       handshake message, and {@code AbstractSniHandler} extracts the hostname; the buffered bytes
 *       are then forwarded to the next handler and released here. Creating the channel is not
 *       measured.
 *   <li>{@link #extractWhole}: the fairest like-for-like with our parser on a whole hello: only the
 *       private static {@code AbstractSniHandler.extractSniHostname(ByteBuf)} (called through a
 *       constant {@link MethodHandle}, which the JIT inlines) on the ClientHello body slice that
 *       {@code SslClientHelloHandler} would pass it. It yields a lowercased String, like
 *       {@code ClientHelloPeekBench.wholeAndHost}. Every fixture here is a single TLS record.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class NettySniBench {

    private static final MethodHandle EXTRACT_SNI_HOSTNAME = extractSniHostname();

    @Param({
        "chromium",
        "curl-openssl3",
        "gnutls-cli",
        "jdk17",
        "jdk25",
        "node",
        "openssl-s_client-nosni",
        "openssl-s_client-tls12",
        "openssl-s_client-tls13",
        "python-ssl"
    })
    public String fixture = "chromium";

    /** {@code direct} (what the native transport reads into) or {@code heap}. */
    @Param("direct")
    public String buffer = "direct";

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private byte[] input = new byte[0];
    private ByteBuf whole = Unpooled.EMPTY_BUFFER;
    private ByteBuf[] oneByte = new ByteBuf[0];
    private ByteBuf body = Unpooled.EMPTY_BUFFER;
    private byte[][] permutedInputs = new byte[0][];
    private ByteBuf[] permutedWhole = new ByteBuf[0];
    private ByteBuf[] permutedBodies = new ByteBuf[0];
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        ClientHelloFixture hello = Fixtures.clientHello(fixture);
        input = hello.bytes();
        whole = BenchInputs.buffer(buffer, input);
        oneByte = BenchInputs.oneByteSlices(whole);
        int recordLength = whole.getUnsignedShort(3);
        int helloLength = whole.getUnsignedMedium(6);
        if (5 + recordLength != whole.readableBytes() || 4 + helloLength != recordLength) {
            throw new IllegalStateException(fixture + ": not one record holding exactly one ClientHello");
        }
        // After the 5-byte record header and the 4-byte handshake header.
        body = whole.slice(9, helloLength);
        check(hello, handlerWhole());
        check(hello, handlerOneByte());
        check(hello, extractWhole());
        permutedInputs = BenchInputs.permutedExtensions(input);
        permutedWhole = new ByteBuf[permutedInputs.length];
        permutedBodies = new ByteBuf[permutedInputs.length];
        for (int i = 0; i < permutedInputs.length; i++) {
            permutedWhole[i] = BenchInputs.buffer(buffer, permutedInputs[i]);
            permutedBodies[i] = permutedWhole[i].slice(9, helloLength);
            check(hello, extractWholePermuted());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchInputs.requireUnchanged(whole, input, fixture);
        channel.finishAndReleaseAll();
        whole.release();
        for (int i = 0; i < permutedWhole.length; i++) {
            BenchInputs.requireUnchanged(permutedWhole[i], permutedInputs[i], fixture);
            permutedWhole[i].release();
        }
    }

    @Benchmark
    public @Nullable String handlerWhole() {
        SniCapture handler = new SniCapture();
        channel.pipeline().addLast(handler);
        channel.writeInbound(whole.retain().setIndex(0, input.length));
        drainForwardedBytes();
        return handler.hostname;
    }

    @Benchmark
    public @Nullable String handlerOneByte() {
        SniCapture handler = new SniCapture();
        channel.pipeline().addLast(handler);
        for (ByteBuf b : oneByte) {
            channel.writeInbound(b.retain().setIndex(0, 1));
            if (handler.done) {
                break;
            }
        }
        drainForwardedBytes();
        return handler.hostname;
    }

    /**
     * What {@link #handlerOneByte} pays for the EmbeddedChannel and pipeline alone: the same 1-byte
     * reads into a handler that only releases them. Not part of Netty's SNI work.
     */
    @Benchmark
    public int baselinePipelineOneByte() {
        ReleasingHandler handler = new ReleasingHandler();
        channel.pipeline().addLast(handler);
        for (ByteBuf b : oneByte) {
            channel.writeInbound(b.retain().setIndex(0, 1));
        }
        channel.pipeline().remove(handler);
        return handler.reads;
    }

    @Benchmark
    public @Nullable String extractWhole() throws Throwable {
        return (String) EXTRACT_SNI_HOSTNAME.invokeExact(body);
    }

    /**
     * Like {@link #extractWhole}, cycling through {@code BenchInputs.permutedExtensions}, the same
     * inputs as {@code ClientHelloPeekBench.wholePermuted}.
     */
    @Benchmark
    public @Nullable String extractWholePermuted() throws Throwable {
        return (String) EXTRACT_SNI_HOSTNAME.invokeExact(permutedBodies[next++ & (BenchInputs.PERMUTATIONS - 1)]);
    }

    private void drainForwardedBytes() {
        for (Object m; (m = channel.readInbound()) != null; ) {
            ReferenceCountUtil.release(m);
        }
    }

    private void check(ClientHelloFixture hello, @Nullable String hostname) {
        if (!Objects.equals(hostname, hello.sni())) {
            throw new IllegalStateException(fixture + ": Netty found " + hostname + " (expected: " + hello.sni() + ")");
        }
        if (channel.pipeline().get(SniCapture.class) != null) {
            throw new IllegalStateException(fixture + ": the SNI handler did not finish");
        }
    }

    private static MethodHandle extractSniHostname() {
        try {
            return MethodHandles.privateLookupIn(AbstractSniHandler.class, MethodHandles.lookup())
                    .findStatic(
                            AbstractSniHandler.class,
                            "extractSniHostname",
                            MethodType.methodType(String.class, ByteBuf.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Counts and releases every read. */
    private static final class ReleasingHandler extends ChannelInboundHandlerAdapter {
        int reads;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reads++;
            ReferenceCountUtil.release(msg);
        }
    }

    /** Records the hostname Netty extracted and leaves the pipeline, like an SniHandler would. */
    private static final class SniCapture extends AbstractSniHandler<@Nullable String> {
        @Nullable
        String hostname;

        boolean done;

        @Override
        protected Future<@Nullable String> lookup(ChannelHandlerContext ctx, @Nullable String hostname) {
            return ctx.executor().newSucceededFuture(hostname);
        }

        @Override
        protected void onLookupComplete(
                ChannelHandlerContext ctx, @Nullable String hostname, Future<@Nullable String> future) {
            this.hostname = hostname;
            done = true;
            ctx.pipeline().remove(this);
        }
    }
}
