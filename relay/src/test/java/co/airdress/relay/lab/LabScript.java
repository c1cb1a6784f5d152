package co.airdress.relay.lab;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs {@code lab/run.sh} as the lab tests do: the relay from this module's classes and runtime
 * classpath, the lab's state under {@code target/<name>}, its output in {@code run.out}; and what
 * they check before and after (no lab alive, nothing left behind).
 */
final class LabScript {

    /** How a run ended: {@code finished} within the timeout, its exit status, its output. */
    record Run(boolean finished, int exitValue, String output) {}

    /**
     * Runs lab/run.sh with {@code args} (the lab named {@code name} in its output file) and requires
     * it to finish within {@code timeout}, exit 0 and print CHECK PASSED; returns its output.
     */
    static String passes(String name, Duration timeout, String... args) throws IOException, InterruptedException {
        Run run = run(name, timeout, args);
        String command = "lab/run.sh " + String.join(" ", args);
        String out = run.output();
        assertThat(run.finished())
                .as("%s finished within %s; output:\n%s", command, timeout, out)
                .isTrue();
        assertThat(run.exitValue())
                .as("%s exit status; output:\n%s", command, out)
                .isZero();
        assertThat(out).contains("CHECK PASSED");
        return out;
    }

    private LabScript() {}

    /**
     * The prerequisites of a lab run, and no lab alive: the namespace names are fixed, so a lab
     * started by hand (any of {@code namespaces}) stops the test (skipped locally, failed under
     * {@code CI=true}).
     */
    static void requireNoLab(List<String> namespaces) throws IOException {
        Prerequisites.networkNamespaces();
        for (String tool :
                List.of("bird", "birdc", "python3", "curl", "openssl", "bash", "wireguard-go", "wg", "nft")) {
            Prerequisites.tool(tool);
        }
        List<String> existing = namespaces(namespaces);
        Prerequisites.require(
                existing.isEmpty(),
                "no lab running (lab namespaces exist: " + existing
                        + "; stop lab/run.sh, or delete them if it crashed)");
    }

    /**
     * Runs {@code lab/run.sh args} with its state in {@code target/name}; past {@code timeout} the
     * script gets SIGTERM only (its trap stops what it started and deletes the namespaces).
     */
    static Run run(String name, Duration timeout, String... args) throws IOException, InterruptedException {
        Path script = Path.of("..", "lab", "run.sh").toAbsolutePath().normalize();
        assertThat(script).isExecutable();
        Path dir = Path.of("target", name).toAbsolutePath();
        Files.createDirectories(dir);
        Path output = dir.resolve("run.out");
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("LAB_DIR", dir.resolve("state").toString());
        pb.environment().put("LAB_JAVA_CP", runtimeClasspath());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process lab = pb.start();
        boolean finished = lab.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            lab.destroy();
            if (!lab.waitFor(60, TimeUnit.SECONDS)) {
                lab.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        System.out.println(out);
        return new Run(finished, finished ? lab.exitValue() : -1, out);
    }

    /** Asserts that no namespace of {@code namespaces} and no UAPI socket of {@code interfaces} is left. */
    static void assertNothingLeft(List<String> namespaces, List<String> interfaces, String out) throws IOException {
        assertThat(namespaces(namespaces))
                .as("namespaces left behind; output:\n%s", out)
                .isEmpty();
        assertThat(interfaces.stream()
                        .map(i -> Path.of("/var/run/wireguard", i + ".sock"))
                        .filter(Files::exists))
                .as("UAPI sockets left behind; output:\n%s", out)
                .isEmpty();
    }

    /** The module's classes and runtime jars, without test classes (whose logback-test.xml would win). */
    private static String runtimeClasspath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes") && !e.endsWith("test-classes/"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** Those of {@code names} that exist as network namespaces now. */
    static List<String> namespaces(List<String> names) throws IOException {
        String list = ExternalProcess.run(Duration.ofSeconds(10), "ip", "netns", "list");
        return list.lines().map(l -> l.split("\\s+")[0]).filter(names::contains).toList();
    }
}
