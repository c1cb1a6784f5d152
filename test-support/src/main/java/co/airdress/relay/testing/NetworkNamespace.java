package co.airdress.relay.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Linux network namespace made for one test, deleted on {@link #close()} (which also ends the
 * processes still running inside it). Names carry the test JVM's pid so that parallel runs and
 * left-overs from a killed run never collide.
 */
public final class NetworkNamespace implements AutoCloseable {

    private static final Duration CMD_TIMEOUT = Duration.ofSeconds(30);

    private final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** Creates {@code <prefix>-<pid>} with loopback up. Call {@link Prerequisites#networkNamespaces()} first. */
    public static NetworkNamespace create(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid();
        ExternalProcess.runAllowingFailure(CMD_TIMEOUT, "ip", "netns", "del", name);
        ExternalProcess.run(CMD_TIMEOUT, "ip", "netns", "add", name);
        NetworkNamespace ns = new NetworkNamespace(name);
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    public String name() {
        return name;
    }

    /** Joins {@code this} and {@code other} with a veth pair and gives each end an address (CIDR form). */
    public void link(String ifHere, String cidrHere, NetworkNamespace other, String ifThere, String cidrThere) {
        ExternalProcess.run(
                CMD_TIMEOUT,
                "ip",
                "link",
                "add",
                ifHere,
                "netns",
                name,
                "type",
                "veth",
                "peer",
                "name",
                ifThere,
                "netns",
                other.name);
        addAddress(ifHere, cidrHere);
        exec("ip", "link", "set", ifHere, "up");
        other.addAddress(ifThere, cidrThere);
        other.exec("ip", "link", "set", ifThere, "up");
    }

    /**
     * Adds an address (CIDR form) to {@code ifName}; an IPv6 one without duplicate address
     * detection, so it is usable at once instead of after about a second as "tentative".
     */
    public void addAddress(String ifName, String cidr) {
        if (cidr.contains(":")) {
            exec("ip", "addr", "add", cidr, "dev", ifName, "nodad");
        } else {
            exec("ip", "addr", "add", cidr, "dev", ifName);
        }
    }

    /** Runs a command inside the namespace to completion; fails on a non-zero exit. */
    public String exec(String... command) {
        return ExternalProcess.run(CMD_TIMEOUT, prefixed(command));
    }

    public ExternalProcess.Result execAllowingFailure(Duration timeout, String... command) {
        return ExternalProcess.runAllowingFailure(timeout, prefixed(command));
    }

    /** Starts a long-running process inside the namespace. */
    public ExternalProcess start(String processName, String... command) {
        return ExternalProcess.start(processName, List.of(prefixed(command)));
    }

    /** The command line that runs {@code command} inside this namespace. */
    public String[] prefixed(String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(command));
        return full.toArray(String[]::new);
    }

    @Override
    public void close() {
        ExternalProcess.Result pids = ExternalProcess.runAllowingFailure(CMD_TIMEOUT, "ip", "netns", "pids", name);
        for (String pid : pids.output().split("\\s+")) {
            if (!pid.isBlank() && pid.chars().allMatch(Character::isDigit)) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        ExternalProcess.runAllowingFailure(CMD_TIMEOUT, "ip", "netns", "del", name);
    }

    @Override
    public String toString() {
        return name;
    }
}
