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
        return new Operator(name, List.of(hosts), new Upstream(new InetSocketAddress("127.0.0.1", 1), null), ProxyProtocol.NONE);
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
}
