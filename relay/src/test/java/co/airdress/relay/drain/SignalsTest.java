package co.airdress.relay.drain;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SIGTERM in a child JVM running the real handlers: the first drains, the second exits at once. */
class SignalsTest {

    private static ExternalProcess startChild(String mode) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // SIGINT back to its default: a build started in the background by a non-interactive shell
        // (`cmd &`) inherits it ignored, and a JVM never installs a handler for an ignored signal.
        // The relay under a terminal or systemd gets it as tested here.
        return ExternalProcess.start(
                "signals-" + mode,
                List.of(
                        "env",
                        "--default-signal=INT",
                        java,
                        "-Xshare:auto",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        SignalsTestMain.class.getName(),
                        mode));
    }

    private static void kill(long pid, String signal) {
        ExternalProcess.run(Duration.ofSeconds(10), "kill", "-" + signal, Long.toString(pid));
    }

    @Test
    void firstSigtermDrainsAndExitsZeroWhenConnectionsFinish() throws Exception {
        try (ExternalProcess child = startChild("finish")) {
            child.awaitOutput("READY", Duration.ofSeconds(30));
            kill(child.pid(), "TERM");
            assertThat(child.process().waitFor(30, TimeUnit.SECONDS))
                    .as("exited; output:\n%s", child.output())
                    .isTrue();
            assertThat(child.process().exitValue()).as(child.output()).isZero();
            String out = child.output();
            assertThat(out).containsSubsequence("READY", "DRAINING", "STOP_ACCEPTING", "DRAINED");
            assertThat(out).doesNotContain("CLOSE_ALL");
        }
    }

    @Test
    void secondSigtermExitsAtOnceWhileConnectionsAreStillOpen() throws Exception {
        try (ExternalProcess child = startChild("hang")) {
            child.awaitOutput("READY", Duration.ofSeconds(30));
            kill(child.pid(), "TERM");
            child.awaitOutput("STOP_ACCEPTING", Duration.ofSeconds(30));
            // The drain is waiting for a connection that never ends (timeout 5 minutes).
            assertThat(child.process().isAlive()).isTrue();
            kill(child.pid(), "TERM");
            assertThat(child.process().waitFor(30, TimeUnit.SECONDS))
                    .as("exited; output:\n%s", child.output())
                    .isTrue();
            assertThat(child.process().exitValue()).as(child.output()).isEqualTo(Signals.FORCED_EXIT);
            String out = child.output();
            assertThat(out).containsSubsequence("READY", "DRAINING", "STOP_ACCEPTING", "exiting at once");
            assertThat(out).doesNotContain("DRAINED").doesNotContain("CLOSE_ALL");
        }
    }

    @Test
    void sigintCountsLikeSigterm() throws Exception {
        try (ExternalProcess child = startChild("hang")) {
            child.awaitOutput("READY", Duration.ofSeconds(30));
            kill(child.pid(), "INT");
            child.awaitOutput("DRAINING", Duration.ofSeconds(30));
            kill(child.pid(), "TERM");
            assertThat(child.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.process().exitValue()).as(child.output()).isEqualTo(Signals.FORCED_EXIT);
        }
    }
}
