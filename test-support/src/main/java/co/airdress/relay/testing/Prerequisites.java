package co.airdress.relay.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a real-peer test needs before it can run: a tool on the PATH, root, network namespaces.
 *
 * <p>On a developer machine a missing prerequisite skips the test with the reason. Under
 * {@code CI=true} it fails the test: CI installs everything ({@code .ci/run}), so a missing tool
 * there is a broken pipeline, never a reason to pass silently.
 */
public final class Prerequisites {

    private Prerequisites() {}

    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Returns the tool's path, or skips / fails the test. */
    public static Path tool(String name) {
        String path = System.getenv("PATH");
        for (String dir :
                (path == null ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path).split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/sbin"}) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        missing("tool '" + name + "' on the PATH (.ci/run installs it from Debian packages)");
        throw new AssertionError("unreachable");
    }

    public static void root() {
        if (!isRoot()) {
            missing("root (network namespaces, TUN devices and privileged ports need it)");
        }
    }

    /** Root plus {@code ip netns} working in this sandbox. */
    public static void networkNamespaces() {
        root();
        tool("ip");
        String name = "airdress-probe-" + ProcessHandle.current().pid();
        try {
            int add = new ProcessBuilder("ip", "netns", "add", name)
                    .redirectErrorStream(true)
                    .start()
                    .waitFor();
            new ProcessBuilder("ip", "netns", "del", name)
                    .redirectErrorStream(true)
                    .start()
                    .waitFor();
            if (add != 0) {
                missing("network namespaces ('ip netns add' failed)");
            }
        } catch (IOException e) {
            missing("network namespaces (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A prerequisite described by a condition. */
    public static void require(boolean condition, String what) {
        if (!condition) {
            missing(what);
        }
    }

    /** Effective uid 0, read from /proc/self/status ("Uid: real effective saved fs"). */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 && "0".equals(ids[1]);
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static void missing(String what) {
        if (onCi()) {
            Assertions.fail("missing prerequisite under CI=true: " + what);
        }
        Assumptions.abort("missing prerequisite: " + what);
    }
}
