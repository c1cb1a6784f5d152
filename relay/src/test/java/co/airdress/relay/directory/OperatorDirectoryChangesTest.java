package co.airdress.relay.directory;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory told which operators changed (the log's batches) puts in force the same route table
 * as one given the whole set, including operators that this PoP cannot route (a loopback
 * upstream, refused by default) moving in and out of the table.
 */
class OperatorDirectoryChangesTest {

    @TempDir
    Path dir;

    private static Operator op(String name, boolean routable, List<String> hosts) {
        String address = routable ? "10.0.0." + (1 + Math.abs(name.hashCode() % 200)) : "127.0.0.1";
        return new Operator(name, hosts, new Upstream(new InetSocketAddress(address, 8080), null), ProxyProtocol.NONE);
    }

    @Test
    void changesNamedOneBatchAtATimeRouteAsTheWholeSet() {
        SplittableRandom random = new SplittableRandom(11);
        Routes routes = new Routes(RouteTable.empty());
        try (OperatorDirectory directory = new OperatorDirectory(
                dir.resolve("operators.yaml"), routes, new HealthState("t"), new RelayMetrics("t"))) {
            Map<String, Operator> operators = new LinkedHashMap<>();
            for (int i = 0; i < 50; i++) {
                String name = "op" + i;
                operators.put(
                        name, op(name, i % 5 != 0, List.of(name + ".example.test", "*." + name + ".example.test")));
            }
            directory.apply(operators.values());
            for (int batch = 0; batch < 500; batch++) {
                Set<String> changed = new HashSet<>();
                for (int c = 1 + random.nextInt(4); c > 0; c--) {
                    String name = "op" + random.nextInt(60);
                    changed.add(name);
                    switch (random.nextInt(4)) {
                        case 0 -> operators.remove(name);
                        case 1 -> operators.put(name, op(name, false, List.of(name + ".example.test")));
                        default -> {
                            List<String> hosts = new ArrayList<>(List.of(name + ".example.test"));
                            if (random.nextBoolean()) {
                                hosts.add("*." + name + ".example.test");
                            }
                            if (random.nextBoolean()) {
                                hosts.add("v" + batch + "." + name + ".example.test");
                            }
                            operators.put(name, op(name, true, hosts));
                        }
                    }
                }
                directory.apply(operators.values(), changed);

                List<Operator> routable = operators.values().stream()
                        .filter(o -> !o.upstream().http().getAddress().isLoopbackAddress())
                        .toList();
                RouteTable expected = RouteTable.of(routable, 0);
                RouteTable actual = routes.current();
                assertThat(actual.size()).as("patterns after batch %d", batch).isEqualTo(expected.size());
                assertThat(actual.operators()).containsExactlyElementsOf(routable);
                for (int i = 0; i < 60; i++) {
                    for (String host : List.of(
                            "op" + i + ".example.test",
                            "www.op" + i + ".example.test",
                            "v" + batch + ".op" + i + ".example.test")) {
                        assertThat(actual.lookup(host))
                                .as("%s after batch %d", host, batch)
                                .isEqualTo(expected.lookup(host));
                    }
                }
                assertThat(directory.list()).containsExactlyElementsOf(operators.values());
            }
        }
    }
}
