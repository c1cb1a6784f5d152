package co.airdress.relay.bench;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.route.RouteTable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Route table lookups at 1k, 100k and 1M host patterns (half exact names, half wildcards; 100
 * patterns per operator): an exact hit, a wildcard hit two labels below its suffix (three probes),
 * and a miss (a name of four labels: one exact probe, two suffix probes). Each operation looks up
 * one of 4096 precomputed names, in random order, so the table does not sit in L1.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar RouteTableBench}.
 * The heap a table takes: {@code java -cp bench/target/benchmarks.jar co.airdress.relay.bench.RouteTableBench 1000000}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx2g"})
public class RouteTableBench {

    private static final int QUERIES = 4096;
    private static final int MASK = QUERIES - 1;

    @Param({"1000", "100000", "1000000"})
    int hosts;

    private RouteTable table;
    private String[] exact;
    private String[] wildcard;
    private String[] miss;
    private int i;

    /** {@code n} patterns: even i an exact name, odd i a wildcard; 100 per operator. */
    static RouteTable build(int n) {
        List<Operator> operators = new ArrayList<>(n / 100 + 1);
        Upstream upstream = new Upstream(null, new InetSocketAddress("127.0.0.1", 443));
        List<String> batch = new ArrayList<>(100);
        for (int i = 0; i < n; i++) {
            batch.add(
                    i % 2 == 0
                            ? "h" + i + ".zone" + (i % 997) + ".example"
                            : "*.w" + i + ".zone" + (i % 997) + ".example");
            if (batch.size() == 100 || i == n - 1) {
                operators.add(new Operator("op" + operators.size(), batch, upstream, ProxyProtocol.NONE));
                batch = new ArrayList<>(100);
            }
        }
        return RouteTable.of(operators, 1);
    }

    @Setup(Level.Trial)
    public void setUp() {
        table = build(hosts);
        SplittableRandom random = new SplittableRandom(42);
        exact = new String[QUERIES];
        wildcard = new String[QUERIES];
        miss = new String[QUERIES];
        for (int q = 0; q < QUERIES; q++) {
            int e = random.nextInt(hosts / 2) * 2;
            int w = random.nextInt(hosts / 2) * 2 + 1;
            exact[q] = "h" + e + ".zone" + (e % 997) + ".example";
            wildcard[q] = "www.a.w" + w + ".zone" + (w % 997) + ".example";
            miss[q] = "nobody" + q + ".zone" + (q % 997) + ".example";
            if (table.lookup(exact[q]) == null || table.lookup(wildcard[q]) == null || table.lookup(miss[q]) != null) {
                throw new IllegalStateException("bad query set at " + q);
            }
        }
    }

    @Benchmark
    public void exactHit(Blackhole bh) {
        bh.consume(table.lookup(exact[i++ & MASK]));
    }

    @Benchmark
    public void wildcardHit(Blackhole bh) {
        bh.consume(table.lookup(wildcard[i++ & MASK]));
    }

    @Benchmark
    public void miss(Blackhole bh) {
        bh.consume(table.lookup(miss[i++ & MASK]));
    }

    /** Prints the heap a table of {@code args[0]} patterns retains (after GC, before and after building it). */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = settledHeap(memory);
        long start = System.nanoTime();
        RouteTable t = build(n);
        long buildMillis = (System.nanoTime() - start) / 1_000_000;
        long after = settledHeap(memory);
        System.out.printf(
                "%d host patterns (%d operators): %.1f MiB retained (%.0f bytes per pattern, operators' lists included), built in %d ms%n",
                t.size(),
                t.operators().size(),
                (after - before) / 1048576.0,
                (after - before) / (double) n,
                buildMillis);
    }

    private static long settledHeap(MemoryMXBean memory) {
        for (int k = 0; k < 5; k++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
