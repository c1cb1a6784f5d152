package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.anycast.AnycastController;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ControllerCommandTest {

    private record Run(int exit, String err, ControllerCommand command) {}

    /** Parses and validates only (no controller is started). */
    private static Run validate(String... args) {
        ControllerCommand command = new ControllerCommand();
        CommandLine cl = new CommandLine(command);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setExecutionStrategy(parsed -> {
            command.config();
            return 0;
        });
        int exit = cl.execute(args);
        return new Run(exit, err.toString(), command);
    }

    @Test
    void defaultsMatchTheIssue() {
        Run run = validate();
        assertThat(run.exit()).isZero();
        AnycastController.Config config = run.command().config();
        assertThat(config.readyz().toString()).isEqualTo("http://127.0.0.1:9090/readyz");
        assertThat(config.interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.timeout()).isEqualTo(Duration.ofMillis(400));
        assertThat(config.policy().fall()).isEqualTo(3);
        assertThat(config.policy().rise()).isEqualTo(5);
        assertThat(config.policy().drainDelay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.protocols()).containsExactly("vip");
        assertThat(config.statusListen().getPort()).isEqualTo(9191);
    }

    @Test
    void parsesDurationsAndOptions() {
        Run run = validate(
                "--interval",
                "100ms",
                "--timeout",
                "80ms",
                "--rise",
                "2",
                "--fall",
                "1",
                "--drain-delay",
                "PT1.5S",
                "--status-listen",
                "[::1]:0",
                "--protocol",
                "vip,vip6");
        assertThat(run.exit()).as(run.err()).isZero();
        AnycastController.Config config = run.command().config();
        assertThat(config.interval()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.timeout()).isEqualTo(Duration.ofMillis(80));
        assertThat(config.policy().drainDelay()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.statusListen().getAddress().isLoopbackAddress()).isTrue();
        assertThat(config.statusListen().getAddress().getAddress()).hasSize(16);
        assertThat(config.protocols()).containsExactly("vip", "vip6");
    }

    @Test
    void rejectsNonsenseWithTheExpectedRange() {
        assertThat(validate("--rise", "0").err()).contains("--rise: 0 (expected: >= 1)");
        assertThat(validate("--fall", "-1").err()).contains("--fall: -1 (expected: >= 1)");
        assertThat(validate("--interval", "500ms", "--timeout", "500ms").err())
                .contains("--timeout: 500ms (expected: < --interval 500ms)");
        assertThat(validate("--interval", "0ms").err()).contains("--interval: 0ms (expected: > 0)");
        assertThat(validate("--readyz", "https://127.0.0.1/readyz").err())
                .contains("--readyz: https://127.0.0.1/readyz (expected: an http:// URL)");
        assertThat(validate("--protocol", "vip; disable all").err())
                .contains("--protocol: vip; disable all (expected:");
        assertThat(validate("--protocol", "vip,vip6; disable all").err())
                .contains("--protocol: vip6; disable all (expected: a BIRD symbol");
        assertThat(validate("--protocol", "vip,vip").err())
                .contains("--protocol: vip,vip (expected: distinct protocol names");
        assertThat(validate("--status-listen", "nohost").err())
                .contains("--status-listen: nohost (expected: HOST:PORT)");
        assertThat(validate("--interval", "soon").err()).contains("soon (expected: a duration");
        assertThat(validate("--rise", "0").exit()).isNotZero();
    }

    @Test
    void helpDescribesTheCommand() {
        CommandLine cl = new CommandLine(new ControllerCommand());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("--help")).isZero();
        assertThat(out.toString())
                .contains("controller")
                .contains("--readyz")
                .contains("--drain-delay")
                .contains("GRACEFUL_SHUTDOWN");
    }

    @Test
    void theStatusAddressIsAnIpLiteralNeverResolved() {
        assertThat(validate("--status-listen", "localhost:9191").err())
                .contains("--status-listen: localhost:9191 (expected: HOST:PORT with an IP literal HOST");
        assertThat(validate("--status-listen", "::1:9191").err())
                .contains("--status-listen: ::1:9191 (expected: HOST:PORT with an IP literal HOST");
        assertThat(validate("--status-listen", "127.0.0.1:65536").exit()).isNotZero();
        Run ok = validate("--status-listen", "0.0.0.0:0");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.command().config().statusListen().getAddress().isAnyLocalAddress())
                .isTrue();
    }

    @Test
    void thePopNameFollowsTheRelaysRule() {
        assertThat(validate().command().config().pop()).isNull();
        assertThat(validate("--pop", "ams1").command().config().pop()).isEqualTo("ams1");
        Run bad = validate("--pop", "AMS_1");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--pop: AMS_1 (expected: a name of 1 to 63 characters a-z, 0-9 and '-'");
    }
}
