package co.airdress.relay.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * podman for tests, as the tests' own commands and the scripts they start (docker/build.sh, the lab)
 * run it.
 *
 * <p>Some sandboxes (CI's among them) refuse the RLIMIT_* settings podman always writes into a
 * container's spec. Unless {@code CONTAINERS_CONF} is set already, the processes this class makes
 * get one naming {@code test-support/container/runc-without-rlimits} as the {@code runc} runtime,
 * which drops them (real hosts need none of this).
 */
public final class ContainerEngine {

    private static final String WRAPPER = "test-support/container/runc-without-rlimits";
    private static ContainerEngine instance;

    private final Map<String, String> environment;

    private ContainerEngine(Map<String, String> environment) {
        this.environment = environment;
    }

    /** podman and runc on the PATH (skips locally, fails under CI=true), root, and the runtime set up. */
    public static synchronized ContainerEngine podman() {
        if (instance != null) {
            return instance;
        }
        Prerequisites.root();
        Prerequisites.tool("podman");
        Prerequisites.tool("runc");
        String conf = System.getenv("CONTAINERS_CONF");
        if (conf == null || conf.isBlank()) {
            conf = writeContainersConf(repositoryRoot().resolve(WRAPPER)).toString();
        }
        instance = new ContainerEngine(Map.of("CONTAINERS_CONF", conf));
        return instance;
    }

    /** The repository's root: the first directory up from the working directory holding test-support/. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(WRAPPER))) {
                return d;
            }
        }
        throw new AssertionError("no " + WRAPPER + " above " + dir);
    }

    private static Path writeContainersConf(Path wrapper) {
        try {
            Path dir = Files.createTempDirectory("airdress-containers-");
            Path conf = dir.resolve("containers.conf");
            // runc by name (crun, podman's first choice when installed, refuses hybrid cgroups), at the wrapper's path
            Files.writeString(
                    conf,
                    "[engine]\nruntime = \"runc\"\n[engine.runtimes]\nrunc = [\"" + wrapper + "\"]\n",
                    StandardCharsets.UTF_8);
            return conf;
        } catch (IOException e) {
            throw new AssertionError("cannot write a containers.conf", e);
        }
    }

    /** What a process that runs podman needs in its environment ({@code CONTAINERS_CONF}). */
    public Map<String, String> environment() {
        return environment;
    }

    /** A process builder for {@code command} with {@link #environment()} added. */
    public ProcessBuilder processBuilder(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(environment);
        return pb;
    }

    /** {@code podman ARGS...} to completion; its exit status and output (stdout and stderr). */
    public ExternalProcess.Result run(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        return runCommand(timeout, command, null);
    }

    /** {@code podman ARGS...}; fails unless it exits 0; its stdout and stderr. */
    public String ok(Duration timeout, String... args) {
        ExternalProcess.Result r = run(timeout, args);
        if (r.exitCode() != 0) {
            throw new AssertionError(
                    "podman " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }

    /** {@code command} with this environment, {@code input} on its standard input (none if null). */
    public ExternalProcess.Result runCommand(Duration timeout, List<String> command, byte[] input) {
        return runCommand(timeout, command, input, Map.of());
    }

    /** As {@link #runCommand(Duration, List, byte[])}, with {@code extraEnvironment} added. */
    public ExternalProcess.Result runCommand(
            Duration timeout, List<String> command, byte[] input, Map<String, String> extraEnvironment) {
        requireNonNull(command, "command");
        Map<String, String> env = new HashMap<>(environment);
        env.putAll(extraEnvironment);
        return ExternalProcess.runAllowingFailure(timeout, command, input, env);
    }
}
