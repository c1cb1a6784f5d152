package co.airdress.relay.bench;

import co.airdress.relay.sni.ClientHelloPeek;
import co.airdress.relay.sni.Fixtures;
import co.airdress.relay.sni.Fixtures.ClientHelloFixture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Objects;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Our {@link ClientHelloPeek} on each captured ClientHello, fed whole and one byte per
 * {@code feed()}. One peek is reused through {@code reset()}, so the measured path is
 * {@code feed()} (plus, in {@link #wholeAndHost}, reading the host as the router would).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ClientHelloPeekBench {

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

    private final ClientHelloPeek peek = new ClientHelloPeek();
    private byte[] input = new byte[0];
    private ByteBuf whole = Unpooled.EMPTY_BUFFER;
    private ByteBuf[] oneByte = new ByteBuf[0];
    private byte[][] permutedInputs = new byte[0][];
    private ByteBuf[] permuted = new ByteBuf[0];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        ClientHelloFixture hello = Fixtures.clientHello(fixture);
        input = hello.bytes();
        whole = BenchInputs.buffer(buffer, input);
        oneByte = BenchInputs.oneByteSlices(whole);
        // Measure only a parser that gets the answer right.
        check(hello, whole());
        check(hello, oneByte());
        permutedInputs = BenchInputs.permutedExtensions(input);
        permuted = new ByteBuf[permutedInputs.length];
        for (int i = 0; i < permuted.length; i++) {
            permuted[i] = BenchInputs.buffer(buffer, permutedInputs[i]);
            check(hello, wholePermuted());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchInputs.requireUnchanged(whole, input, fixture);
        whole.release();
        for (int i = 0; i < permuted.length; i++) {
            BenchInputs.requireUnchanged(permuted[i], permutedInputs[i], fixture);
            permuted[i].release();
        }
    }

    @Benchmark
    public ClientHelloPeek.Status whole() {
        peek.reset();
        return peek.feed(whole);
    }

    /**
     * Like {@link #whole}, cycling through {@link BenchInputs#permutedExtensions}: the same hello
     * with its extensions in the orders Chromium draws per connection.
     */
    @Benchmark
    public ClientHelloPeek.Status wholePermuted() {
        peek.reset();
        return peek.feed(permuted[next++ & (BenchInputs.PERMUTATIONS - 1)]);
    }

    @Benchmark
    public ClientHelloPeek.Status oneByte() {
        peek.reset();
        ClientHelloPeek.Status status = ClientHelloPeek.Status.NEED_MORE;
        for (ByteBuf b : oneByte) {
            status = peek.feed(b);
            if (status != ClientHelloPeek.Status.NEED_MORE) {
                break;
            }
        }
        return status;
    }

    /** Like {@link #whole} but also takes the host String, which is what Netty's extraction yields. */
    @Benchmark
    public void wholeAndHost(Blackhole bh) {
        peek.reset();
        bh.consume(peek.feed(whole));
        bh.consume(peek.host());
    }

    private void check(ClientHelloFixture hello, ClientHelloPeek.Status status) {
        ClientHelloPeek.Status expected =
                hello.sni() == null ? ClientHelloPeek.Status.NO_SNI : ClientHelloPeek.Status.FOUND;
        if (status != expected || !Objects.equals(peek.host(), hello.sni())) {
            throw new IllegalStateException(
                    fixture + ": " + status + " " + peek.host() + " (expected: " + expected + " " + hello.sni() + ")");
        }
    }
}
