package co.airdress.relay.bench;

import co.airdress.relay.listen.AddressCounter;
import co.airdress.relay.tunnel.ratelimit.HandshakeRateLimiter;
import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What counting a client by its source costs: the key of an address ({@link SourcePrefix}: an IPv4
 * address, an IPv6 /64), an {@link AddressCounter} acquire + release (once per connection, twice:
 * connections and peeking), and a {@link HandshakeRateLimiter} decision (per handshake message
 * under load). Run with {@code -prof gc}: B/op is the point, and does not depend on load.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * SourcePrefixBench -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SourcePrefixBench {

    private static final int ADDRESSES = 256;
    private static final int MASK = ADDRESSES - 1;

    private final SourcePrefix prefix = new SourcePrefix(SourcePrefix.DEFAULT_IPV6_LENGTH);
    private final SourcePrefix.Key probe = new SourcePrefix.Key();
    private final InetAddress[] v4 = new InetAddress[ADDRESSES];
    private final InetAddress[] v6 = new InetAddress[ADDRESSES];
    private final byte[][] v6Raw = new byte[ADDRESSES][];
    private final PerAddressBefore before = new PerAddressBefore(1_000_000);
    private final AddressCounter counter = new AddressCounter(1_000_000, prefix);
    private final AddressCounter fresh = new AddressCounter(1_000_000, prefix);
    private final HandshakeRateLimiter limiter = new HandshakeRateLimiter(65536, prefix);
    private int i;
    private long now = 1_000_000_000L;

    @Setup
    public void setup() throws Exception {
        for (int n = 0; n < ADDRESSES; n++) {
            v4[n] = InetAddress.getByName("198.51." + (n >> 4) + "." + (n & 15));
            // 16 /64s with 16 addresses each
            v6[n] = InetAddress.getByName("2001:db8:" + (n >> 4) + ":1::" + Integer.toHexString(n + 1));
            // Every source keeps one connection open, as a busy client would: the counted case.
            v6Raw[n] = v6[n].getAddress();
            counter.acquire(v4[n]);
            counter.acquire(v6[n]);
            before.tryAcquire(v6[n]);
        }
    }

    /** The key of an IPv4 source, from its {@code InetAddress} (which copies its bytes). */
    @Benchmark
    public long keyIpv4() {
        SourcePrefix.Key k = prefix.keyOf(v4[i++ & MASK], probe);
        return k.hashCode();
    }

    /** The key of an IPv6 source (its /64), from its {@code InetAddress} (which copies its bytes). */
    @Benchmark
    public long keyIpv6() {
        SourcePrefix.Key k = prefix.keyOf(v6[i++ & MASK], probe);
        return k.hashCode();
    }

    /** The key of an IPv6 source from its raw bytes, as the handshake path has them. */
    @Benchmark
    public long keyIpv6Raw() {
        SourcePrefix.Key k = prefix.keyOf(v6Raw[i++ & MASK], probe);
        return k.hashCode();
    }

    /** A connection from a source that already has one open: acquire, then release. */
    @Benchmark
    public boolean counterKnownSourceIpv6() {
        AddressCounter.Slot slot = counter.acquire(v6[i++ & MASK]);
        counter.release(slot);
        return slot != null;
    }

    /** The same with the per-address count the relay kept before sources were prefixes. */
    @Benchmark
    public boolean counterKnownSourceBefore() {
        InetAddress a = v6[i++ & MASK];
        boolean acquired = before.tryAcquire(a);
        before.release(a);
        return acquired;
    }

    /** A connection from a source with nothing open: its entry is made, then dropped. */
    @Benchmark
    public boolean counterNewSourceIpv6() {
        AddressCounter.Slot slot = fresh.acquire(v6[i++ & MASK]);
        fresh.release(slot);
        return slot != null;
    }

    /**
     * A handshake message from a known source (16 /64s), 5 ms apart: the limiter's steady state,
     * given the raw address the admission already holds for the cookie.
     */
    @Benchmark
    public boolean limiterKnownSourceIpv6() {
        now += 5_000_000L;
        return limiter.allow(v6Raw[i++ & MASK], now);
    }

    /**
     * The per-address count as the relay kept it before sources were prefixes (a map of addresses,
     * a capturing compute): the baseline for {@link #counterKnownSourceBefore}.
     */
    private static final class PerAddressBefore {
        private final java.util.concurrent.ConcurrentHashMap<InetAddress, Integer> counts =
                new java.util.concurrent.ConcurrentHashMap<>();
        private final int limit;

        PerAddressBefore(int limit) {
            this.limit = limit;
        }

        boolean tryAcquire(InetAddress address) {
            boolean[] acquired = new boolean[1];
            counts.compute(address, (a, n) -> {
                int current = n == null ? 0 : n;
                if (current >= limit) {
                    return n;
                }
                acquired[0] = true;
                return current + 1;
            });
            return acquired[0];
        }

        void release(InetAddress address) {
            counts.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }
}
