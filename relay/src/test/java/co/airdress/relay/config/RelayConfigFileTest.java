package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelayConfigFileTest {

    private static final String EXAMPLE = """
            pop: ams1
            listen:
              http: "[::]:80"
              tls:  "[::]:443"
            management:
              listen: "127.0.0.1:9090"
              token_file: /etc/relay/admin.token
            operators_file: /etc/relay/operators.yaml
            limits:   { max_connections: 100000, max_connections_per_ip: 256, max_peeking_per_ip: 32, max_client_hello: 16KiB, max_http_head: 16KiB }
            timeouts: { peek: 10s, connect: 5s, idle: 5m }
            drain:    { delay: 10s, timeout: 5m }
            """;

    private static RelayConfig ok(String yaml) {
        Parsed<RelayConfig> p = RelayConfigFile.parse(yaml, "test.yaml", Path.of("/etc/relay"));
        assertThat(p).as("%s", p).isInstanceOf(Parsed.Ok.class);
        return ((Parsed.Ok<RelayConfig>) p).value();
    }

    private static List<String> problems(String yaml) {
        Parsed<RelayConfig> p = RelayConfigFile.parse(yaml, "test.yaml", Path.of("/etc/relay"));
        assertThat(p).isInstanceOf(Parsed.Invalid.class);
        return ((Parsed.Invalid<RelayConfig>) p)
                .problems().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void readsTheExampleFromTheIssue() {
        RelayConfig c = ok(EXAMPLE);
        assertThat(c.pop()).isEqualTo("ams1");
        assertThat(c.listen().http())
                .containsExactly(new RelayConfig.ListenSocket(new InetSocketAddress("::", 80), false));
        assertThat(c.listen().tls())
                .singleElement()
                .satisfies(s -> assertThat(s.address().getPort()).isEqualTo(443));
        assertThat(c.management().listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9090));
        assertThat(c.management().tokenFile()).isEqualTo(Path.of("/etc/relay/admin.token"));
        assertThat(c.operatorsFile()).isEqualTo(Path.of("/etc/relay/operators.yaml"));
        assertThat(c.limits()).isEqualTo(new RelayConfig.Limits(100000, 256, 32, 16384, 16384));
        assertThat(c.timeouts())
                .isEqualTo(
                        new RelayConfig.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofMinutes(5)));
        assertThat(c.drain()).isEqualTo(new RelayConfig.Drain(Duration.ofSeconds(10), Duration.ofMinutes(5)));
    }

    @Test
    void appliesDefaultsToAMinimalFile() {
        RelayConfig c = ok("pop: ams1\nlisten: { tls: \"0.0.0.0:443\" }\n");
        assertThat(c.listen().http()).isEmpty();
        assertThat(c.management().listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9090));
        assertThat(c.management().tokenFile()).isNull();
        assertThat(c.operatorsFile()).isEqualTo(Path.of("/etc/relay/operators.yaml"));
        assertThat(c.limits()).isEqualTo(RelayConfigFile.DEFAULT_LIMITS);
        assertThat(c.timeouts()).isEqualTo(RelayConfigFile.DEFAULT_TIMEOUTS);
        assertThat(c.drain()).isEqualTo(RelayConfigFile.DEFAULT_DRAIN);
    }

    @Test
    void loopbackUpstreamsAreRefusedUnlessTheConfigAllowsThem() {
        assertThat(ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n").upstreams().allowLoopback())
                .isFalse();
        assertThat(ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\nupstreams: { allow_loopback: true }\n")
                        .upstreams()
                        .allowLoopback())
                .isTrue();
    }

    @Test
    void resolvesRelativePathsAgainstTheConfigDirectory() {
        RelayConfig c = ok(
                "pop: a\nlisten: { http: \"127.0.0.1:0\" }\noperators_file: ops/o.yaml\nmanagement: { token_file: t }\n");
        assertThat(c.operatorsFile()).isEqualTo(Path.of("/etc/relay/ops/o.yaml"));
        assertThat(c.management().tokenFile()).isEqualTo(Path.of("/etc/relay/t"));
    }

    @Test
    void acceptsSizesInBytesKibAndMib() {
        RelayConfig c = ok(
                "pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { max_client_hello: 4096, max_http_head: 1KiB }\n");
        assertThat(c.limits().maxClientHello()).isEqualTo(4096);
        assertThat(c.limits().maxHttpHead()).isEqualTo(1024);
    }

    @Test
    void readsTheControllersStatusAddressForTheStatusPage() {
        RelayConfig c = ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n"
                + "management: { controller_status: \"127.0.0.1:9191\" }\n");
        assertThat(c.management().controllerStatus()).isEqualTo(new InetSocketAddress("127.0.0.1", 9191));
        assertThat(ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n")
                        .management()
                        .controllerStatus())
                .isNull();
        assertThat(problems("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n"
                        + "management: { controller_status: \"localhost:9191\" }\n"))
                .singleElement()
                .asString()
                .startsWith("management.controller_status: \"localhost:9191\" (expected: host:port with an IP literal"
                        + " host (the controller's --status-listen, e.g. 127.0.0.1:9191) and port 1..65535)");
        assertThat(problems("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n"
                        + "management: { controller_status: \"127.0.0.1:0\" }\n"))
                .singleElement()
                .asString()
                .startsWith("management.controller_status: \"127.0.0.1:0\"");
    }

    @Test
    void ipv6SourcesAreCountedByPrefix() {
        assertThat(RelayConfigFile.DEFAULT_LIMITS.ipv6Prefix()).isEqualTo(64);
        assertThat(ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { ipv6_prefix: 56 }\n")
                        .limits()
                        .ipv6Prefix())
                .isEqualTo(56);
        assertThat(problems("pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { ipv6_prefix: 31 }\n"))
                .containsExactly("limits.ipv6_prefix: 31 (expected: an integer from 32 to 128)");
        assertThat(problems("pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { ipv6_prefix: 129 }\n"))
                .containsExactly("limits.ipv6_prefix: 129 (expected: an integer from 32 to 128)");
    }

    @Test
    void deferAcceptTakesWholeSecondsAsADurationOrANumber() {
        String listen = "pop: a\nlisten: { http: \"127.0.0.1:0\", defer_accept: %s }\n";
        assertThat(ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n").listen().deferAccept())
                .isEqualTo(RelayConfig.Listen.DEFAULT_DEFER_ACCEPT);
        assertThat(ok(listen.formatted("0s")).listen().deferAccept()).isZero();
        assertThat(ok(listen.formatted("0")).listen().deferAccept()).isZero();
        assertThat(ok(listen.formatted("3s")).listen().deferAccept()).isEqualTo(Duration.ofSeconds(3));
        assertThat(ok(listen.formatted("5")).listen().deferAccept()).isEqualTo(Duration.ofSeconds(5));
        assertThat(ok(listen.formatted("1m")).listen().deferAccept()).isEqualTo(Duration.ofMinutes(1));
        String expectation =
                " (expected: whole seconds from 0s (off) to 1m, as a duration like 1s or a number of seconds)";
        for (String bad : List.of("500ms", "1500ms", "2m", "61", "-1", "1.5", "true", "\"\"", "soon")) {
            assertThat(problems(listen.formatted(bad)))
                    .as("%s", bad)
                    .singleElement()
                    .asString()
                    .startsWith("listen.defer_accept: ")
                    .endsWith(expectation);
        }
        assertThat(problems(listen.formatted("2m"))).containsExactly("listen.defer_accept: \"2m\"" + expectation);
    }

    @Test
    void deferAcceptIsWholeSecondsInTheRecordToo() {
        RelayConfig.Listen listen = new RelayConfig.Listen(new InetSocketAddress("127.0.0.1", 0), null);
        assertThat(listen.deferAccept()).isEqualTo(RelayConfig.Listen.DEFAULT_DEFER_ACCEPT);
        assertThat(listen.withDeferAccept(Duration.ZERO).deferAccept()).isZero();
        for (Duration bad : List.of(Duration.ofMillis(1500), Duration.ofSeconds(-1), Duration.ofSeconds(61))) {
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> listen.withDeferAccept(bad))
                    .withMessageStartingWith("deferAccept: ");
        }
    }

    @Test
    void theTlsPeekBoundFollowsTheHelloCapUnlessSet() {
        assertThat(RelayConfigFile.DEFAULT_LIMITS.maxTlsPeek()).isEqualTo(16384 + 5 * 256);
        RelayConfig derived = ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { max_client_hello: 4096 }\n");
        assertThat(derived.limits().maxTlsPeek()).isEqualTo(4096 + 5 * 64);
        RelayConfig set = ok(
                "pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { max_client_hello: 4096, max_tls_peek: 8KiB }\n");
        assertThat(set.limits().maxTlsPeek()).isEqualTo(8192);
        assertThat(problems("pop: a\nlisten: { http: \"127.0.0.1:0\" }\nlimits: { max_tls_peek: 16KiB }\n"))
                .containsExactly(
                        "limits.max_tls_peek: \"16KiB\" (expected: at least max_client_hello + 5 = 16389 bytes: a hello at the cap and its record header)");
    }

    @Test
    void collectsEveryProblemWithItsPath() {
        List<String> p = problems("""
                pop: AMS_1
                listen: { tls: "[::]:99999", http: "example.com:80" }
                management: { listen: "127.0.0.1" }
                limits: { max_client_hello: 16Kb, max_connections: 0, max_peeking_per_ip: "x" }
                timeouts: { peek: 10, connect: 0s, idle: 5 minutes }
                drain: { delay: 2d }
                """);
        assertThat(p)
                .contains(
                        "pop: \"AMS_1\" (expected: a name of 1 to 63 characters a-z, 0-9 and '-', not starting or ending with '-')",
                        "limits.max_client_hello: \"16Kb\" (expected: a size like 16KiB (B, KiB or MiB) between 512 and 65536 bytes)",
                        "limits.max_connections: 0 (expected: an integer from 1 to 10000000)",
                        "limits.max_peeking_per_ip: \"x\" (expected: an integer from 1 to 10000000)");
        assertThat(p)
                .anyMatch(s -> s.startsWith("listen.tls: \"[::]:99999\" (expected: host:port with an IP literal host"));
        assertThat(p)
                .anyMatch(s ->
                        s.startsWith("listen.http: \"example.com:80\" (expected: host:port with an IP literal host"));
        assertThat(p).anyMatch(s -> s.startsWith("management.listen: \"127.0.0.1\" (expected: host:port"));
        assertThat(p).anyMatch(s -> s.startsWith("timeouts.peek: 10 (expected: a duration like 500ms"));
        assertThat(p).anyMatch(s -> s.startsWith("timeouts.connect: \"0s\" (expected: a duration"));
        assertThat(p).anyMatch(s -> s.startsWith("timeouts.idle: \"5 minutes\" (expected: a duration"));
        assertThat(p).anyMatch(s -> s.startsWith("drain.delay: \"2d\" (expected: a duration"));
        assertThat(p).hasSize(11);
    }

    @Test
    void rejectsUnknownKeysWithTheirPath() {
        List<String> p = problems(
                "pop: a\nlisten: { http: \"127.0.0.1:0\", https: \"x\" }\nlimit: {}\ntimeouts: { peak: 1s }\n");
        assertThat(p)
                .containsExactlyInAnyOrder(
                        "listen.https: unknown key (expected: one of defer_accept, http, tls)",
                        "limit: unknown key (expected: one of backhaul, directory, drain, limits, listen, management, operators_file, pop, timeouts, upstreams, wireguard)",
                        "timeouts.peak: unknown key (expected: one of connect, idle, peek)");
    }

    @Test
    void readsTheDirectorySectionWithItsDefaults() {
        RelayConfig c = ok("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                directory:
                  kafka:
                    bootstrap_servers: "10.0.0.5:9092,10.0.0.6:9092"
                """);
        assertThat(c.directory())
                .isEqualTo(new DirectoryConfig(
                        new DirectoryConfig.Kafka("10.0.0.5:9092,10.0.0.6:9092", "airdress.operators"),
                        Path.of("/etc/relay/directory.snapshot"),
                        Duration.ofSeconds(1)));
        assertThat(c.directory().kafka().attachmentsTopic()).isEqualTo("airdress.attachments");
        assertThat(ok("pop: a\nlisten: { http: \"127.0.0.1:0\" }\n").directory())
                .isNull();

        c = ok("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                directory:
                  kafka:
                    bootstrap_servers: "kafka-1.internal:9093, [fd00::5]:9093"
                    topic: pops.operators
                    attachments_topic: pops.attachments
                    properties: { security.protocol: SSL, ssl.truststore.location: /etc/relay/ca.p12, fetch.max.wait.ms: 100 }
                    start_timeout: 20s
                    request_timeout: 3s
                    write_timeout: 10s
                    probe_interval: 500ms
                  snapshot_file: state/dir.snapshot
                  snapshot_interval: 5s
                """);
        DirectoryConfig d = c.directory();
        assertThat(d.kafka().topic()).isEqualTo("pops.operators");
        assertThat(d.kafka().attachmentsTopic()).isEqualTo("pops.attachments");
        assertThat(d.kafka().properties())
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.location", "/etc/relay/ca.p12")
                .containsEntry("fetch.max.wait.ms", "100");
        assertThat(d.kafka().startTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(d.kafka().requestTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(d.kafka().writeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.kafka().probeInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(d.snapshotFile()).isEqualTo(Path.of("/etc/relay/state/dir.snapshot"));
        assertThat(d.snapshotInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void theDirectoryAndTheOperatorsFileAreExclusiveAndEveryDirectoryProblemHasItsPath() {
        assertThat(problems("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                operators_file: ops.yaml
                directory: { kafka: { bootstrap_servers: "10.0.0.5:9092" } }
                """))
                .containsExactly("directory.kafka: given with operators_file (expected: exactly one of operators_file, "
                        + "directory.kafka: the operators come from the file or from the log, not both)");
        List<String> p = problems("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                directory:
                  kafka:
                    bootstrap_servers: "10.0.0.5"
                    topic: "bad topic"
                    properties: { acks: "1", group.id: g, ssl: { nested: 1 } }
                    write_timeout: forever
                    partitions: 3
                  snapshot_interval: 0s
                """);
        assertThat(p)
                .contains(
                        "directory.kafka.bootstrap_servers: \"10.0.0.5\" (expected: host:port[,host:port...], the brokers' addresses)",
                        "directory.kafka.topic: \"bad topic\" (expected: a Kafka topic name: 1 to 249 characters a-z, A-Z, 0-9, '.', '_' and '-')",
                        "directory.kafka.properties.ssl: a mapping (expected: a string, number or boolean)",
                        "directory.kafka.partitions: unknown key (expected: one of attachments_topic, bootstrap_servers, probe_interval, properties, request_timeout, start_timeout, topic, write_timeout)");
        assertThat(problems("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                directory:
                  kafka: { bootstrap_servers: "10.0.0.5:9092", topic: pops, attachments_topic: pops }
                """))
                .containsExactly(
                        "directory.kafka.attachments_topic: \"pops\" is the directory's topic (expected: a topic of its own)");
        assertThat(problems("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                directory:
                  kafka: { bootstrap_servers: "10.0.0.5:9092", attachments_topic: "a b" }
                """))
                .containsExactly("directory.kafka.attachments_topic: \"a b\" (expected: a Kafka topic name: 1 to 249"
                        + " characters a-z, A-Z, 0-9, '.', '_' and '-')");
        assertThat(p).anyMatch(s -> s.startsWith("directory.kafka.properties.acks: set by the relay (expected: "));
        assertThat(p).anyMatch(s -> s.startsWith("directory.kafka.properties.group.id: set by the relay"));
        assertThat(p).anyMatch(s -> s.startsWith("directory.kafka.write_timeout: \"forever\" (expected: a duration"));
        assertThat(p).anyMatch(s -> s.startsWith("directory.snapshot_interval: \"0s\" (expected: a duration"));
        assertThat(p).hasSize(8);
        assertThat(problems("pop: a\nlisten: { http: \"127.0.0.1:0\" }\ndirectory: { snapshot_file: x }\n"))
                .containsExactly("directory.kafka: missing (required)");
    }

    @Test
    void aListenerTakesOneAddressOrAListAndIpv6BesideIpv4IsIpv6Only() {
        RelayConfig c = ok("""
                pop: a
                listen:
                  http: ["0.0.0.0:80", "[::]:80"]
                  tls: ["[::]:443"]
                """);
        assertThat(c.listen().http())
                .containsExactly(
                        new RelayConfig.ListenSocket(new InetSocketAddress("0.0.0.0", 80), false),
                        new RelayConfig.ListenSocket(new InetSocketAddress("::", 80), true));
        assertThat(c.listen().tls())
                .as("IPv6 only in its listener: dual stack")
                .containsExactly(new RelayConfig.ListenSocket(new InetSocketAddress("::", 443), false));

        RelayConfig specific = ok("""
                pop: a
                listen: { tls: ["192.0.2.1:443", "[2001:db8::1]:443", "[2001:db8::2]:443"] }
                """);
        assertThat(specific.listen().tls())
                .extracting(RelayConfig.ListenSocket::ipv6Only)
                .containsExactly(false, true, true);
        assertThat(ok("pop: a\nlisten: { tls: [\"[2001:db8::1]:443\", \"[::1]:443\"] }\n")
                        .listen()
                        .tls())
                .extracting(RelayConfig.ListenSocket::ipv6Only)
                .containsExactly(false, false);
    }

    @Test
    void refusesListenAddressesOneSocketCouldNotTellApart() {
        assertThat(problems("pop: a\nlisten: { http: \"[::]:80\", tls: \"0.0.0.0:80\" }\n"))
                .containsExactly(
                        "listen.tls: \"0.0.0.0:80\" (expected: an address and port no other listen address covers;"
                                + " listen.http \"[::]:80\" does)");
        assertThat(problems("pop: a\nlisten: { tls: [\"0.0.0.0:443\", \"192.0.2.1:443\"] }\n"))
                .containsExactly(
                        "listen.tls[1]: \"192.0.2.1:443\" (expected: an address and port no other listen address"
                                + " covers; listen.tls[0] \"0.0.0.0:443\" does)");
        assertThat(problems("pop: a\nlisten: { tls: [\"[::]:443\", \"[2001:db8::1]:443\"] }\n"))
                .singleElement()
                .asString()
                .startsWith("listen.tls[1]: \"[2001:db8::1]:443\" (expected: an address and port no other");
        assertThat(problems("pop: a\nlisten: { http: [\"192.0.2.1:80\", \"192.0.2.1:80\"] }\n"))
                .singleElement()
                .asString()
                .startsWith("listen.http[1]: \"192.0.2.1:80\"");
        // A dual-stack [::] in one listener covers IPv4 addresses of the other on the same port.
        assertThat(problems("pop: a\nlisten: { http: \"192.0.2.1:8080\", tls: [\"[::]:8080\"] }\n"))
                .singleElement()
                .asString()
                .startsWith("listen.tls[0]: \"[::]:8080\"");
        // Separate sockets on different ports, and port 0 (a free port each), are fine.
        ok("pop: a\nlisten: { http: [\"0.0.0.0:80\", \"[::]:80\"], tls: [\"0.0.0.0:443\", \"[::]:443\"] }\n");
        ok("pop: a\nlisten: { http: [\"0.0.0.0:0\", \"[::]:0\"], tls: [\"[::]:0\"] }\n");
    }

    @Test
    void refusesEmptyLongAndMalformedAddressLists() {
        assertThat(problems("pop: a\nlisten: { http: [] }\n"))
                .containsExactly("listen.http: a list (expected: one address, or a list of 1 to 8 addresses)");
        assertThat(problems("pop: a\nlisten: { http: [\"0.0.0.0:1\", \"0.0.0.0:2\", \"0.0.0.0:3\", \"0.0.0.0:4\","
                        + " \"0.0.0.0:5\", \"0.0.0.0:6\", \"0.0.0.0:7\", \"0.0.0.0:8\", \"0.0.0.0:9\"] }\n"))
                .containsExactly("listen.http: a list (expected: one address, or a list of 1 to 8 addresses)");
        assertThat(problems("pop: a\nlisten: { tls: [\"0.0.0.0:443\", \"example.com:443\", 443] }\n"))
                .containsExactly(
                        "listen.tls[1]: \"example.com:443\" (expected: host:port with an IP literal host ([::] or"
                                + " 0.0.0.0 for every address; port 0 picks a free one) and port 0..65535)",
                        "listen.tls[2]: 443 (expected: host:port with an IP literal host ([::] or 0.0.0.0 for every"
                                + " address; port 0 picks a free one) and port 0..65535)");
    }

    @Test
    void requiresPopAndAListener() {
        assertThat(problems("listen: {}\n"))
                .containsExactlyInAnyOrder(
                        "pop: missing (required)", "listen: no listener (expected: at least one of http, tls)");
        assertThat(problems("pop: a\n")).containsExactly("listen: missing (required)");
    }

    @Test
    void reportsYamlSyntaxAndDuplicateKeys() {
        assertThat(problems("pop: [a\n")).singleElement().asString().startsWith("(root): not valid YAML at line");
        assertThat(problems("pop: a\npop: b\nlisten: { http: \"127.0.0.1:0\" }\n"))
                .singleElement()
                .asString()
                .contains("not valid YAML")
                .contains("pop");
        assertThat(problems("")).containsExactly("(root): the file is empty (expected: a YAML mapping)");
        assertThat(problems("- a\n")).singleElement().asString().startsWith("(root): a list (expected: a mapping");
    }
}
