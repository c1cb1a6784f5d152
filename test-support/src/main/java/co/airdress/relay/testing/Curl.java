package co.airdress.relay.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * curl as a test's client: {@code curl -sS --max-time <seconds> <args>}, quiet but for errors,
 * bounded. {@link #run} runs it here and fails the test on a non-zero exit; {@link #command} is the
 * same command line for running elsewhere (in a network namespace).
 */
public final class Curl {

    /** curl's own limit when none is given. */
    public static final Duration DEFAULT_MAX_TIME = Duration.ofSeconds(15);

    /** How much longer than curl's own limit the process may take before it is killed. */
    private static final Duration GRACE = Duration.ofSeconds(15);

    private Curl() {}

    /** Runs curl with {@link #DEFAULT_MAX_TIME}; returns what it printed (stdout and stderr). */
    public static String run(String... args) {
        return run(DEFAULT_MAX_TIME, args);
    }

    /** Runs curl with {@code --max-time maxTime}; returns what it printed, fails on a non-zero exit. */
    public static String run(Duration maxTime, String... args) {
        return ExternalProcess.run(maxTime.plus(GRACE), command(maxTime, args).toArray(String[]::new));
    }

    /** Runs curl inside {@code ns} with {@code --max-time maxTime}; returns its exit code and output. */
    public static ExternalProcess.Result in(NetworkNamespace ns, Duration maxTime, String... args) {
        return ns.execAllowingFailure(
                maxTime.plus(GRACE), command(maxTime, args).toArray(String[]::new));
    }

    /** The command line, curl found on the PATH (or the test skipped / failed without it). */
    public static List<String> command(Duration maxTime, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Prerequisites.tool("curl").toString(),
                "-sS",
                "--max-time",
                Long.toString(Math.max(1, maxTime.toSeconds()))));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
