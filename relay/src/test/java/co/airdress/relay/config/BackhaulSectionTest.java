package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackhaulSectionTest {

    private static final String BASE = """
            pop: a
            listen: { http: "127.0.0.1:0" }
            directory: { kafka: { bootstrap_servers: "10.0.0.5:9092" } }
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
    void readsTheSectionWithItsDefaults() {
        RelayConfig c = ok(BASE + """
                backhaul:
                  interface: mesh0
                  private_key_file: mesh.key
                  addresses: ["fd00:a1d:b::1/64", "100.127.0.1/24"]
                  endpoint: "203.0.113.10:51821"
                """);
        assertThat(c.backhaul())
                .isEqualTo(new BackhaulConfig(
                        "mesh0",
                        Path.of("/etc/relay/mesh.key"),
                        List.of(IpPrefix.parse("fd00:a1d:b::1/64"), IpPrefix.parse("100.127.0.1/24")),
                        51821,
                        new InetSocketAddress("203.0.113.10", 51821),
                        7443,
                        1420,
                        "airdress.pops",
                        64,
                        Duration.ofSeconds(5),
                        1024));
        assertThat(ok(BASE).backhaul()).isNull();

        BackhaulConfig b = ok(BASE + """
                backhaul:
                  interface: mesh0
                  private_key_file: /k/mesh.key
                  addresses: ["100.127.0.1/24"]
                  listen_port: 51999
                  endpoint: "[2001:db8::10]:51999"
                  port: 8443
                  mtu: 1380
                  topic: net1.pops
                  max_pops: 8
                  header_timeout: 2s
                  max_header: 2KiB
                """).backhaul();
        assertThat(b.listenPort()).isEqualTo(51999);
        assertThat(b.endpoint()).isEqualTo(new InetSocketAddress("2001:db8::10", 51999));
        assertThat(b.port()).isEqualTo(8443);
        assertThat(b.mtu()).isEqualTo(1380);
        assertThat(b.topic()).isEqualTo("net1.pops");
        assertThat(b.maxPops()).isEqualTo(8);
        assertThat(b.headerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(b.maxHeader()).isEqualTo(2048);
    }

    @Test
    void theMeshKeyMustBeItsOwnersOnly(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("mesh.key");
        Files.writeString(key, "unused\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Parsed<RelayConfig> p = RelayConfigFile.parse(BASE + """
                backhaul:
                  interface: mesh0
                  private_key_file: mesh.key
                  addresses: ["100.127.0.1/24"]
                  endpoint: "203.0.113.10:51821"
                """, "test.yaml", dir);
        RelayConfig c = ((Parsed.Ok<RelayConfig>) p).value();
        assertThat(RelayConfigFile.secretFileProblems(c))
                .singleElement()
                .satisfies(problem -> assertThat(problem.toString())
                        .startsWith("backhaul.private_key_file: " + key + " has mode 0644"));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertThat(RelayConfigFile.secretFileProblems(c)).isEmpty();
    }

    @Test
    void needsTheDirectoryOnKafka() {
        assertThat(problems("""
                pop: a
                listen: { http: "127.0.0.1:0" }
                backhaul:
                  interface: mesh0
                  private_key_file: mesh.key
                  addresses: ["100.127.0.1/24"]
                  endpoint: "203.0.113.10:51821"
                """))
                .containsExactly("backhaul: given without directory.kafka (expected: a directory: section with kafka: "
                        + "the PoPs announce themselves on a topic of the directory's log)");
    }

    @Test
    void everyProblemHasItsPath() {
        List<String> p = problems(BASE + """
                backhaul:
                  interface: "mesh/0"
                  addresses: ["100.127.0.1/24", "100.127.0.2/24", "nope"]
                  endpoint: "mesh.example:51821"
                  listen_port: 0
                  port: 70000
                  mtu: 100
                  topic: airdress.operators
                  max_pops: 0
                  header_timeout: forever
                  max_header: 16
                  peers: []
                """);
        assertThat(p)
                .contains(
                        "backhaul.private_key_file: missing (required)",
                        "backhaul.listen_port: 0 (expected: an integer from 1 to 65535)",
                        "backhaul.port: 70000 (expected: an integer from 1 to 65535)",
                        "backhaul.mtu: 100 (expected: an integer from 1280 to 9000)",
                        "backhaul.max_pops: 0 (expected: an integer from 1 to 4096)",
                        "backhaul.topic: \"airdress.operators\" is the directory's topic (expected: a topic of its own)");
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.interface: \"mesh/0\" (expected: "));
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.addresses[1]: \"100.127.0.2/24\" (expected: "));
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.addresses[2]: \"nope\" (expected: "));
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.endpoint: \"mesh.example:51821\" (expected: host:port"));
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.header_timeout: \"forever\" (expected: a duration"));
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.max_header: 16 (expected: a size"));
        assertThat(p).anyMatch(s -> s.startsWith("backhaul.peers: unknown key"));
        assertThat(p).hasSize(13);
    }
}
