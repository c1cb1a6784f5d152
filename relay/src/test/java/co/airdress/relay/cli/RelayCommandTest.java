package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.wireguard.WireGuardRelayFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return RelayCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void checkAcceptsAValidConfigAndOperatorsFile() throws Exception {
        Files.writeString(
                dir.resolve("relay.yaml"),
                "pop: ams1\nlisten: { tls: \"[::]:443\" }\nupstreams: { allow_loopback: true }\n");
        Files.writeString(
                dir.resolve("operators.yaml"),
                "operators:\n  - { name: alice, hosts: [alice.example.test], upstream: { tls: \"127.0.0.1:8443\" } }\n");
        assertThat(run("check", "--config", dir.resolve("relay.yaml").toString()))
                .isZero();
        assertThat(out.toString()).contains("ok:").contains("1 operators, 1 hosts");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void checkPrintsEveryProblemWithItsPath() throws Exception {
        Files.writeString(
                dir.resolve("relay.yaml"),
                "pop: ams1\nlisten: { tls: \"[::]:99999\" }\nlimits: { max_client_hello: 16Kb }\n");
        assertThat(run("check", "-c", dir.resolve("relay.yaml").toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString())
                .contains("2 problems")
                .contains("\nlisten.tls: \"[::]:99999\" (expected: host:port")
                .contains("\nlimits.max_client_hello: \"16Kb\" (expected: a size like 16KiB");
    }

    @Test
    void checkValidatesTheOperatorsFileTheConfigNames() throws Exception {
        Files.writeString(
                dir.resolve("relay.yaml"), "pop: ams1\nlisten: { tls: \"[::]:443\" }\noperators_file: ops.yaml\n");
        Files.writeString(dir.resolve("ops.yaml"), """
                operators:
                  - { name: a, hosts: [a.example], upstream: { tls: "127.0.0.1:1" } }
                  - { name: b, hosts: [b.example], upstream: { tls: "127.0.0.1:1" } }
                  - { name: c, hosts: ["*.com"], upstream: { tls: "127.0.0.1:1" } }
                """);
        assertThat(run("check", "--config", dir.resolve("relay.yaml").toString()))
                .isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString())
                .contains(
                        "operators[2].hosts[0]: \"*.com\" (expected: a wildcard with at least two labels after \"*.\")");
    }

    /** A PoP's config: listeners on every address, management on loopback, a tunnel. */
    private Path popConfig(String extra) throws Exception {
        SecretFiles.write(dir.resolve("wg.key"), "");
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, """
                pop: ams1
                listen: { http: "[::]:80", tls: "0.0.0.0:443" }
                management: { listen: "127.0.0.1:9090" }
                wireguard: { interface: relay0, private_key_file: wg.key, addresses: ["fd00:a1d::1/64", "100.96.0.1/16"] }
                """ + extra);
        return config;
    }

    private static String upstreams(String... addresses) {
        StringBuilder ops = new StringBuilder("operators:\n");
        for (int i = 0; i < addresses.length; i++) {
            ops.append("  - { name: op")
                    .append(i)
                    .append(", hosts: [op")
                    .append(i)
                    .append(".example.test], upstream: { tls: \"")
                    .append(addresses[i])
                    .append("\" } }\n");
        }
        return ops.toString();
    }

    @Test
    void checkRefusesUpstreamsThatReachTheRelayOrItsHost() throws Exception {
        Path config = popConfig("");
        Files.writeString(
                dir.resolve("operators.yaml"),
                upstreams(
                        "127.0.0.1:9090", // the management endpoint
                        "127.0.0.1:443", // the TLS listener, on every address
                        "[::ffff:127.0.0.1]:80", // the HTTP listener, IPv4-mapped
                        "127.0.0.1:8443",
                        "127.1.2.3:8443",
                        "[::1]:8443",
                        "[::ffff:127.0.0.1]:8443",
                        "[::127.0.0.1]:8443", // IPv4-compatible
                        "[64:ff9b::7f00:1]:8443", // NAT64
                        "0.0.0.0:8443",
                        "[::]:8443",
                        "169.254.169.254:80",
                        "[::ffff:169.254.169.254]:80",
                        "[fd00:ec2::254]:80",
                        "100.100.100.200:80",
                        "[fe80::1]:8443",
                        "169.254.10.20:8443",
                        "100.96.0.1:8443", // the relay's own tunnel address
                        "[fd00:a1d::b0b]:80")); // inside its tunnel prefixes
        assertThat(run("check", "--config", config.toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString())
                .contains("19 problems")
                .contains("operators[0].upstream.tls: \"127.0.0.1:9090\" (expected: not the relay's own "
                        + "management.listen 127.0.0.1:9090)")
                .contains("operators[1].upstream.tls: \"127.0.0.1:443\" (expected: not the relay's own listen.tls "
                        + "0.0.0.0:443, which takes connections on every address of this host)")
                .contains(
                        "operators[2].upstream.tls: \"127.0.0.1:80\" (expected: not the relay's own listen.http [::]:80")
                .contains("operators[3].upstream.tls: \"127.0.0.1:8443\" (expected: not a loopback address (it reaches "
                        + "this host's own services); set upstreams.allow_loopback in the relay config to allow one)")
                .contains("operators[4].upstream.tls: \"127.1.2.3:8443\" (expected: not a loopback address")
                .contains("operators[5].upstream.tls: \"[::1]:8443\" (expected: not a loopback address")
                .contains("operators[6].upstream.tls: \"127.0.0.1:8443\" (expected: not a loopback address")
                .contains("operators[7].upstream.tls: \"[::7f00:1]:8443\" (expected: not a loopback address")
                .contains("operators[8].upstream.tls: \"[64:ff9b::7f00:1]:8443\" (expected: not a loopback address")
                .contains("operators[9].upstream.tls: \"0.0.0.0:8443\" (expected: a specific address, not the "
                        + "unspecified address (it reaches this host))")
                .contains("operators[10].upstream.tls: \"[::]:8443\" (expected: a specific address")
                .contains("operators[11].upstream.tls: \"169.254.169.254:80\" (expected: not a link-local or cloud "
                        + "metadata address (they reach this host's cloud services))")
                .contains("operators[12].upstream.tls: \"169.254.169.254:80\" (expected: not a link-local or cloud")
                .contains("operators[13].upstream.tls: \"[fd00:ec2::254]:80\" (expected: not a link-local or cloud")
                .contains("operators[14].upstream.tls: \"100.100.100.200:80\" (expected: not a link-local or cloud")
                .contains("operators[15].upstream.tls: \"[fe80::1]:8443\" (expected: not a link-local or cloud")
                .contains("operators[16].upstream.tls: \"169.254.10.20:8443\" (expected: not a link-local or cloud")
                .contains("operators[17].upstream.tls: \"100.96.0.1:8443\" (expected: not inside the relay's tunnel "
                        + "prefixes [fd00:a1d:0:0:0:0:0:1/64, 100.96.0.1/16] (its own address, or an operator reached "
                        + "as a wireguard operator))")
                .contains(
                        "operators[18].upstream.tls: \"[fd00:a1d::b0b]:80\" (expected: not inside the relay's tunnel");
    }

    @Test
    void checkAcceptsPrivateUpstreamsAndLoopbackOnlyWhenTheConfigAllowsIt() throws Exception {
        // Private ranges are a PoP's internal network (the lab's direct mode dials 10.0.10.1).
        Path config = popConfig("");
        Files.writeString(
                dir.resolve("operators.yaml"),
                upstreams(
                        "10.0.10.1:443", "172.16.5.9:8443", "192.168.1.7:443", "[fd12:3456::7]:443", "192.0.2.10:443"));
        assertThat(run("check", "--config", config.toString()))
                .as(err.toString())
                .isZero();

        config = popConfig("upstreams: { allow_loopback: true }\n");
        Files.writeString(
                dir.resolve("operators.yaml"),
                upstreams("127.0.0.1:8443", "[::1]:8443", "127.0.0.1:9090", "127.0.0.1:443", "169.254.169.254:80"));
        assertThat(run("check", "--config", config.toString())).isEqualTo(RelayCommand.INVALID);
        // Loopback is allowed; the relay's own endpoints and the metadata service never are.
        assertThat(err.toString())
                .contains("3 problems")
                .contains(
                        "operators[2].upstream.tls: \"127.0.0.1:9090\" (expected: not the relay's own management.listen")
                .contains("operators[3].upstream.tls: \"127.0.0.1:443\" (expected: not the relay's own listen.tls")
                .contains("operators[4].upstream.tls: \"169.254.169.254:80\" (expected: not a link-local or cloud")
                .doesNotContain("operators[0]")
                .doesNotContain("operators[1]");
    }

    @Test
    void checkRefusesAWireGuardOperatorOnTheRelaysOwnTunnelAddress() throws Exception {
        Path config = popConfig("");
        Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - name: own
                    hosts: [own.example.test]
                    wireguard: { public_key: "%s", address: "100.96.0.1" }
                """.formatted(WireGuardRelayFixture.newPublicKey()));
        assertThat(run("check", "--config", config.toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString())
                .contains(
                        "operators[0].wireguard.address: \"100.96.0.1\" (expected: not the relay's own tunnel address)");
    }

    @Test
    void checkRejectsANonBooleanSwitch() throws Exception {
        Path config = popConfig("upstreams: { allow_loopback: yes please }\n");
        assertThat(run("check", "--config", config.toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains("upstreams.allow_loopback: \"yes please\" (expected: true or false)");
    }

    @Test
    void checkNamesBothOperatorsWhenAHostIsUnderAnotherOperatorsWildcard() throws Exception {
        Files.writeString(dir.resolve("relay.yaml"), "pop: ams1\nlisten: { tls: \"[::]:443\" }\n");
        Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - { name: alice, hosts: ["*.alice.example.test"], upstream: { tls: "127.0.0.1:1" } }
                  - { name: bob, hosts: [login.alice.example.test], upstream: { tls: "127.0.0.1:1" } }
                """);
        assertThat(run("check", "--config", dir.resolve("relay.yaml").toString()))
                .isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString())
                .contains("1 problem")
                .contains("operators[1].hosts[0]: \"login.alice.example.test\" of operator \"bob\" "
                        + "(expected: a host outside \"*.alice.example.test\" of operator \"alice\")");
    }

    @Test
    void checkReportsAMissingFile() {
        assertThat(run("check", "--config", dir.resolve("nope.yaml").toString()))
                .isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains("(file): cannot read");
    }

    @Test
    void helpAndVersionWorkEverywhere() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("Usage: relay").contains("run").contains("check");
        assertThat(run("run", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: relay run");
        assertThat(run("check", "--version")).isZero();
        assertThat(out.toString()).contains("relay ");
    }

    @Test
    void usageErrorsAreNonZero() {
        assertThat(run()).isNotZero();
        assertThat(run("check")).isNotZero();
        assertThat(err.toString()).contains("--config");
        assertThat(run("frobnicate")).isNotZero();
    }
}
