package co.airdress.relay.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static Operator op(String name, String... hosts) {
        return new Operator(
                name, List.of(hosts), new Upstream(new InetSocketAddress("127.0.0.1", 1), null), ProxyProtocol.NONE);
    }

    private final Operator alice = op("alice", "alice.example.test", "*.alice.example.test");
    private final Operator deep = op("deep", "*.deep.alice.example.test", "exact.deep.alice.example.test");
    private final Operator bob = op("bob", "*.example.test");
    private final RouteTable table = RouteTable.of(List.of(alice, deep, bob), 7);

    @Test
    void exactNameMatches() {
        assertThat(table.lookup("alice.example.test")).isSameAs(alice);
    }

    @Test
    void wildcardMatchesAnyDepthBelowButNotTheSuffixItself() {
        assertThat(table.lookup("www.alice.example.test")).isSameAs(alice);
        assertThat(table.lookup("a.b.c.alice.example.test")).isSameAs(alice);
        assertThat(table.lookup("example.test")).isNull();
    }

    @Test
    void longestSuffixWinsAndExactBeatsWildcard() {
        assertThat(table.lookup("x.deep.alice.example.test")).isSameAs(deep);
        assertThat(table.lookup("deep.alice.example.test")).isSameAs(alice);
        assertThat(table.lookup("exact.deep.alice.example.test")).isSameAs(deep);
        assertThat(table.lookup("carol.example.test")).isSameAs(bob);
    }

    @Test
    void missesReturnNull() {
        assertThat(table.lookup("example.org")).isNull();
        assertThat(table.lookup("test")).isNull();
        assertThat(table.lookup("")).isNull();
        assertThat(table.lookup(".")).isNull();
        assertThat(table.lookup("alice.example.test.evil")).isNull();
        assertThat(RouteTable.empty().lookup("alice.example.test")).isNull();
    }

    @Test
    void reportsSizeVersionAndOperators() {
        assertThat(table.size()).isEqualTo(5);
        assertThat(table.version()).isEqualTo(7);
        assertThat(table.operators()).containsExactly(alice, deep, bob);
        assertThat(RouteTable.empty().size()).isZero();
    }

    @Test
    void refusesAHostOwnedByTwoOperators() {
        assertThatThrownBy(() -> RouteTable.of(List.of(alice, op("eve", "alice.example.test")), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alice.example.test");
    }

    @Test
    void routesSwapAtomically() {
        Routes routes = new Routes(RouteTable.empty());
        routes.replace(table);
        assertThat(routes.current().lookup("alice.example.test")).isSameAs(alice);
    }

    /** The rule spelled out slowly: exact, else the longest wildcard suffix with at least two labels. */
    private static Operator reference(List<Operator> ops, String host) {
        Operator best = null;
        int bestLength = -1;
        for (Operator op : ops) {
            for (String p : op.hosts()) {
                if (p.equals(host)) {
                    return op;
                }
                if (p.startsWith("*.")
                        && host.endsWith(p.substring(1))
                        && p.length() - 1 < host.length()
                        && p.length() - 2 > bestLength) {
                    best = op;
                    bestLength = p.length() - 2;
                }
            }
        }
        return best;
    }

    @Test
    void agreesWithTheSlowRuleOnRandomTables() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        String[] labels = {"a", "b", "c", "www", "x1", "example", "test"};
        java.util.function.IntFunction<String> name = n -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : ".").append(labels[random.nextInt(labels.length)]);
            }
            return b.toString();
        };
        for (int round = 0; round < 20; round++) {
            java.util.Set<String> taken = new java.util.HashSet<>();
            List<Operator> ops = new java.util.ArrayList<>();
            for (int o = 0; o < 10; o++) {
                List<String> hosts = new java.util.ArrayList<>();
                for (int h = 0; h < 10; h++) {
                    String p = random.nextBoolean()
                            ? name.apply(1 + random.nextInt(4))
                            : "*." + name.apply(2 + random.nextInt(3));
                    if (taken.add(p)) {
                        hosts.add(p);
                    }
                }
                if (!hosts.isEmpty()) {
                    ops.add(op("op" + o, hosts.toArray(String[]::new)));
                }
            }
            RouteTable t = RouteTable.of(ops, round);
            for (int q = 0; q < 500; q++) {
                String host = name.apply(1 + random.nextInt(6));
                assertThat(t.lookup(host)).as(host).isSameAs(reference(ops, host));
            }
        }
    }
}
