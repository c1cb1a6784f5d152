package co.airdress.relay.tunnel.netns;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One iperf3 TCP run between two namespaces; the figure is the receiver's average. */
public final class Iperf {

    private static final Pattern RECEIVER_BPS =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private Iperf() {}

    public record Result(String command, double megabitsPerSecond) {}

    /** Runs {@code iperf3 -c address -t seconds [-R]} from {@code client} against a one-shot server in {@code server}. */
    public static Result run(
            NetworkNamespace client, NetworkNamespace server, String address, int port, int seconds, boolean reverse) {
        try (ExternalProcess iperfServer =
                server.start("iperf3-server", "iperf3", "-s", "-1", "-B", address, "-p", Integer.toString(port))) {
            co.airdress.relay.testing.Await.until(
                    Duration.ofSeconds(10),
                    "iperf3 server on " + port,
                    () -> server.exec("ss", "-Hltn", "sport = :" + port).contains(":" + port));
            String[] cmd = reverse
                    ? new String[] {
                        "iperf3",
                        "-J",
                        "-c",
                        address,
                        "-p",
                        Integer.toString(port),
                        "-t",
                        Integer.toString(seconds),
                        "-R"
                    }
                    : new String[] {
                        "iperf3", "-J", "-c", address, "-p", Integer.toString(port), "-t", Integer.toString(seconds)
                    };
            ExternalProcess.Result r = client.execAllowingFailure(Duration.ofSeconds(seconds + 30L), cmd);
            if (r.exitCode() != 0) {
                throw new AssertionError("iperf3 failed: " + r.output());
            }
            Matcher m = RECEIVER_BPS.matcher(r.output());
            if (!m.find()) {
                throw new AssertionError("no sum_received in iperf3 output: " + r.output());
            }
            return new Result(String.join(" ", cmd), Double.parseDouble(m.group(1)) / 1e6);
        }
    }
}
