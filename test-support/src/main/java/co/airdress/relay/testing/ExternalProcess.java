package co.airdress.relay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real peer (openssl s_server, haproxy, wireguard-go, bird...) started for a test and stopped
 * by its pid when the test closes it. Its output goes to a file named in every failure message.
 */
public final class ExternalProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ExternalProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static ExternalProcess start(String name, List<String> command) {
        return start(name, command, null);
    }

    public static ExternalProcess start(String name, List<String> command, Path workDir) {
        try {
            Path log = Files.createTempFile("airdress-" + name + "-", ".log");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            return new ExternalProcess(name, pb.start(), log);
        } catch (IOException e) {
            throw new AssertionError("cannot start " + name + ": " + command, e);
        }
    }

    /** Runs a command to completion and returns its output; fails on a non-zero exit. */
    public static String run(Duration timeout, String... command) {
        Result r = runAllowingFailure(timeout, command);
        if (r.exitCode() != 0) {
            throw new AssertionError(
                    "command failed (exit " + r.exitCode() + "): " + String.join(" ", command) + "\n" + r.output());
        }
        return r.output();
    }

    public record Result(int exitCode, String output) {}

    public static Result runAllowingFailure(Duration timeout, String... command) {
        return runAllowingFailure(timeout, List.of(command), null, Map.of());
    }

    /**
     * Runs a command to completion with {@code input} on its standard input (none if null) and
     * {@code environment} added to this JVM's; its exit status and output (stdout and stderr).
     */
    public static Result runAllowingFailure(
            Duration timeout, List<String> command, byte[] input, Map<String, String> environment) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().putAll(environment);
            Process p = pb.start();
            if (input != null) {
                p.getOutputStream().write(input);
            }
            p.getOutputStream().close();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("command timed out after " + timeout + ": " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Waits until something accepts TCP connections on {@code host:port}, or the process dies. */
    public ExternalProcess awaitPort(String host, int port, Duration timeout) {
        Await.until(timeout, name + " listening on " + host + ":" + port + "; output:\n" + tail(), () -> {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + output());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return this;
    }

    /** Waits until the process output contains {@code text}; fails at once if it exits without. */
    public ExternalProcess awaitOutput(String text, Duration timeout) {
        Await.until(timeout, name + " to print '" + text + "'; output in " + log, () -> {
            boolean alive = process.isAlive(); // sampled first: output written before an exit is then seen
            String out = output();
            if (out.contains(text)) {
                return true;
            }
            if (!alive) {
                throw new AssertionError(
                        name + " exited with " + process.exitValue() + " without printing '" + text + "':\n" + out);
            }
            return false;
        });
        return this;
    }

    private String tail() {
        String out = output();
        return out.length() > 4000 ? out.substring(out.length() - 4000) : out;
    }

    @Override
    public void close() {
        ProcessHandle handle = process.toHandle();
        handle.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                handle.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + log + ")";
    }
}
