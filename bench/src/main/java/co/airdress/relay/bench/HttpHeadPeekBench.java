package co.airdress.relay.bench;

import co.airdress.relay.sni.Fixtures;
import co.airdress.relay.sni.Fixtures.HttpHeadFixture;
import co.airdress.relay.sni.HttpHeadPeek;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
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

/** Our {@link HttpHeadPeek} (Host peek) on each captured request head, whole and one byte per feed. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HttpHeadPeekBench {

    @Param({
        "chromium",
        "curl",
        "curl-absolute-form",
        "java25-httpclient",
        "node-http",
        "python-httpclient",
        "python-urllib",
        "wget"
    })
    public String fixture = "chromium";

    /** {@code direct} (what the native transport reads into) or {@code heap}. */
    @Param("direct")
    public String buffer = "direct";

    private final HttpHeadPeek peek = new HttpHeadPeek();
    private byte[] input = new byte[0];
    private ByteBuf whole = Unpooled.EMPTY_BUFFER;
    private ByteBuf[] oneByte = new ByteBuf[0];

    @Setup(Level.Trial)
    public void setUp() {
        HttpHeadFixture head = Fixtures.httpHead(fixture);
        input = head.bytes();
        whole = BenchInputs.buffer(buffer, input);
        oneByte = BenchInputs.oneByteSlices(whole);
        check(head, whole());
        check(head, oneByte());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchInputs.requireUnchanged(whole, input, fixture);
        whole.release();
    }

    @Benchmark
    public HttpHeadPeek.Status whole() {
        peek.reset();
        return peek.feed(whole);
    }

    @Benchmark
    public HttpHeadPeek.Status oneByte() {
        peek.reset();
        HttpHeadPeek.Status status = HttpHeadPeek.Status.NEED_MORE;
        for (ByteBuf b : oneByte) {
            status = peek.feed(b);
            if (status != HttpHeadPeek.Status.NEED_MORE) {
                break;
            }
        }
        return status;
    }

    private void check(HttpHeadFixture head, HttpHeadPeek.Status status) {
        if (status != HttpHeadPeek.Status.FOUND || !head.host().equals(peek.host())) {
            throw new IllegalStateException(
                    fixture + ": " + status + " " + peek.host() + " (expected: FOUND " + head.host() + ")");
        }
    }
}
