package co.airdress.relay.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link RouteTable#with}: a table changed step by step routes exactly as one built from scratch. */
class RouteTableUpdateTest {

    private static final String[] LABELS = {"a", "b", "www", "x1", "example", "test"};

    private static Operator op(String name, List<String> hosts) {
        return new Operator(name, hosts, new Upstream(new InetSocketAddress("127.0.0.1", 1), null), ProxyProtocol.NONE);
    }

    private static String name(SplittableRandom random, int labels) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < labels; i++) {
            b.append(i == 0 ? "" : ".").append(LABELS[random.nextInt(LABELS.length)]);
        }
        return b.toString();
    }

    private static String pattern(SplittableRandom random) {
        return random.nextBoolean() ? name(random, 1 + random.nextInt(4)) : "*." + name(random, 1 + random.nextInt(3));
    }

    @Test
    void changesStepByStepRouteAsATableBuiltFromScratch() {
        SplittableRandom random = new SplittableRandom(42);
        Map<String, Operator> operators = new LinkedHashMap<>();
        Map<String, String> owners = new HashMap<>(); // pattern -> operator name
        RouteTable table = RouteTable.empty();
        for (int step = 1; step <= 3_000; step++) {
            List<Operator> removed = new ArrayList<>();
            List<Operator> added = new ArrayList<>();
            int changes = 1 + random.nextInt(3);
            for (int c = 0; c < changes; c++) {
                String name = "op" + random.nextInt(40);
                Operator old = operators.remove(name);
                if (old != null) {
                    removed.add(old);
                    old.hosts().forEach(owners::remove);
                    added.removeIf(o -> o.name().equals(name));
                }
                if (random.nextInt(4) == 0) {
                    continue; // a delete
                }
                List<String> hosts = new ArrayList<>();
                for (int h = 1 + random.nextInt(4); h > 0; h--) {
                    String p = pattern(random);
                    if (!owners.containsKey(p) && !hosts.contains(p)) {
                        hosts.add(p);
                    }
                }
                if (hosts.isEmpty()) {
                    continue;
                }
                Operator next = op(name, hosts);
                hosts.forEach(p -> owners.put(p, name));
                operators.put(name, next);
                added.add(next);
            }
            List<Operator> all = List.copyOf(operators.values());
            table = table.with(removed, added, all, step);
            RouteTable scratch = RouteTable.of(all, step);
            assertThat(table.version()).isEqualTo(step);
            assertThat(table.size()).as("size at step %d", step).isEqualTo(scratch.size());
            assertThat(table.operators()).isSameAs(all);
            for (int q = 0; q < 40; q++) {
                String host = name(random, 1 + random.nextInt(6));
                assertThat(table.lookup(host)).as("%s at step %d", host, step).isSameAs(scratch.lookup(host));
            }
            for (String p : owners.keySet()) {
                String host = p.startsWith("*.") ? "z." + p.substring(2) : p;
                assertThat(table.lookup(host)).as("%s at step %d", host, step).isSameAs(scratch.lookup(host));
            }
        }
    }

    @Test
    void buildsAWholeTableAgainOnceTheOverlayIsLarge() {
        List<Operator> ops = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ops.add(op("op" + i, List.of("h" + i + ".example.test", "*.h" + i + ".example.test")));
        }
        RouteTable table = RouteTable.of(ops, 1);
        int changes = 0;
        long version = 1;
        // An eighth of 40,000 patterns is 5,000: changes of two patterns each (an old version out,
        // a new in: four in the overlay) stay in the overlay for 1,250 changes, then a rebuild.
        for (int i = 0; i < 2_000; i++) {
            Operator old = ops.get(i);
            Operator next = op(old.name(), List.of("n" + i + ".example.test", "*.n" + i + ".example.test"));
            ops.set(i, next);
            table = table.with(List.of(old), List.of(next), List.copyOf(ops), ++version);
            changes++;
            assertThat(table.lookup("h" + i + ".example.test")).isNull();
            assertThat(table.lookup("a.h" + i + ".example.test")).isNull();
            assertThat(table.lookup("n" + i + ".example.test")).isSameAs(next);
            assertThat(table.lookup("a.b.n" + i + ".example.test")).isSameAs(next);
            assertThat(table.lookup("h" + (i + 1) + ".example.test")).isSameAs(ops.get(i + 1));
        }
        assertThat(changes).isEqualTo(2_000);
        assertThat(table.size()).isEqualTo(40_000);
    }

    @Test
    void aPatternStillHeldByAnotherOperatorIsRefused() {
        Operator alice = op("alice", List.of("alice.example.test", "*.example.test"));
        Operator eve = op("eve", List.of("*.example.test"));
        RouteTable table = RouteTable.of(List.of(alice), 1);
        assertThatThrownBy(() -> table.with(List.of(), List.of(eve), List.of(alice, eve), 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("*.example.test")
                .hasMessageContaining("alice")
                .hasMessageContaining("eve");
        Operator mallory = op("mallory", List.of("alice.example.test"));
        RouteTable changed = table.with(List.of(), List.of(op("bob", List.of("bob.example.test"))), List.of(), 2);
        assertThatThrownBy(() -> changed.with(List.of(), List.of(mallory), List.of(), 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alice.example.test");
    }

    @Test
    void removingAnOperatorRemovesOnlyThePatternsItHolds() {
        Operator alice = op("alice", List.of("alice.example.test"));
        Operator bob = op("bob", List.of("bob.example.test"));
        // What the caller believes alice held: a version that also claimed bob's host.
        Operator staleAlice = op("alice", List.of("alice.example.test", "bob.example.test"));
        RouteTable table = RouteTable.of(List.of(alice, bob), 1).with(List.of(staleAlice), List.of(), List.of(bob), 2);
        assertThat(table.lookup("alice.example.test")).isNull();
        assertThat(table.lookup("bob.example.test")).isSameAs(bob);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void anEqualVersionReplacesTheOperatorOfItsName() {
        Operator alice = op("alice", List.of("alice.example.test"));
        Operator again = op("alice", List.of("alice.example.test", "*.alice.example.test"));
        RouteTable table = RouteTable.of(List.of(alice), 1).with(List.of(), List.of(again), List.of(again), 2);
        assertThat(table.lookup("alice.example.test")).isSameAs(again);
        assertThat(table.lookup("www.alice.example.test")).isSameAs(again);
        assertThat(table.size()).isEqualTo(2);
    }
}
