package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
        Files.writeString(dir.resolve("relay.yaml"), "pop: ams1\nlisten: { tls: \"[::]:443\" }\n");
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
