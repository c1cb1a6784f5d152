package co.airdress.relay.cli;

import co.airdress.relay.anycast.AnnouncementPolicy;
import co.airdress.relay.anycast.AnycastController;
import co.airdress.relay.config.DurationText;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.net.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bin/relay controller}: the anycast controller, a process of its own next to the relay and BIRD. */
@Command(
        name = "controller",
        mixinStandardHelpOptions = true,
        description =
                "Announces this PoP's anycast VIP (IPv4, and IPv6 on a dual-stack PoP) through BIRD while the relay's /readyz says UP,"
                        + " drains it (GRACEFUL_SHUTDOWN 65535:0 + prepends) when it says DRAINING, and withdraws it"
                        + " after --fall failed probes (DOWN, timeout, refused). Runs apart from the relay so that a"
                        + " hung relay JVM still leads to a withdrawal. See docs/operating-a-pop.md.",
        sortOptions = false)
public final class ControllerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--readyz",
            paramLabel = "URL",
            defaultValue = "http://127.0.0.1:9090/readyz",
            description = "Readiness URL on the management address, never the VIP (default: ${DEFAULT-VALUE}).")
    String readyz = "http://127.0.0.1:9090/readyz";

    @Option(
            names = "--bird-socket",
            paramLabel = "PATH",
            defaultValue = "/run/bird/bird.ctl",
            description = "BIRD's control socket (default: ${DEFAULT-VALUE}).")
    Path birdSocket = Path.of("/run/bird/bird.ctl");

    @Option(
            names = "--protocol",
            paramLabel = "NAME[,NAME...]",
            split = ",",
            defaultValue = "vip",
            description =
                    "The VIP's static protocols in BIRD, one per address family, all announced, drained and"
                            + " withdrawn together: vip (pop.conf) or vip,vip6 (pop-dual-stack.conf) (default: ${DEFAULT-VALUE}).")
    List<String> protocols = List.of("vip");

    @Option(
            names = "--state-file",
            paramLabel = "PATH",
            defaultValue = "/run/bird/vip-state.conf",
            description = "State include file read by BIRD's config (default: ${DEFAULT-VALUE}).")
    Path stateFile = Path.of("/run/bird/vip-state.conf");

    @Option(
            names = "--interval",
            paramLabel = "DURATION",
            defaultValue = "500ms",
            converter = DurationConverter.class,
            description = "Probe interval (default: ${DEFAULT-VALUE}).")
    Duration interval = Duration.ofMillis(500);

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Probe timeout, below --interval (default: 80%% of --interval).")
    Duration timeout;

    @Option(
            names = "--fall",
            paramLabel = "N",
            defaultValue = "3",
            description = "Consecutive failed probes before withdrawing (default: ${DEFAULT-VALUE}).")
    int fall = 3;

    @Option(
            names = "--rise",
            paramLabel = "N",
            defaultValue = "5",
            description = "Consecutive healthy probes before announcing (default: ${DEFAULT-VALUE}).")
    int rise = 5;

    @Option(
            names = "--drain-delay",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long to announce with GRACEFUL_SHUTDOWN before withdrawing (default: ${DEFAULT-VALUE}).")
    Duration drainDelay = Duration.ofSeconds(10);

    @Option(
            names = "--backoff-base",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = DurationConverter.class,
            description = "Extra healthy time required after the 2nd flap in the window; doubles per further flap"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration backoffBase = Duration.ofSeconds(10);

    @Option(
            names = "--backoff-max",
            paramLabel = "DURATION",
            defaultValue = "5m",
            converter = DurationConverter.class,
            description = "Cap of the flap back-off (default: ${DEFAULT-VALUE}).")
    Duration backoffMax = Duration.ofMinutes(5);

    @Option(
            names = "--flap-window",
            paramLabel = "DURATION",
            defaultValue = "15m",
            converter = DurationConverter.class,
            description = "Withdrawals by failure within this window count as flaps (default: ${DEFAULT-VALUE}).")
    Duration flapWindow = Duration.ofMinutes(15);

    @Option(
            names = "--bird-timeout",
            paramLabel = "DURATION",
            defaultValue = "2s",
            converter = DurationConverter.class,
            description = "Deadline of one BIRD control-socket command (default: ${DEFAULT-VALUE}).")
    Duration birdTimeout = Duration.ofSeconds(2);

    @Option(
            names = "--status-listen",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:9191",
            description = "Where /status (JSON) and /metrics (Prometheus) are served (default: ${DEFAULT-VALUE}).")
    String statusListen = "127.0.0.1:9191";

    @Option(
            names = "--pop",
            paramLabel = "NAME",
            description = "This PoP's name (the relay's pop:): the pop label of every metric, which dashboards and"
                    + " alerts join the relay's metrics by (default: none, no pop label).")
    String pop;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ControllerCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        AnycastController.Config config = config();
        CountDownLatch stopped = new CountDownLatch(1);
        AnycastController controller;
        try {
            controller = new AnycastController(config);
        } catch (IOException e) {
            spec.commandLine().getErr().println("--status-listen: " + statusListen + ": cannot listen (" + e + ")");
            return 1;
        }
        Thread hook = new Thread(
                () -> {
                    controller.close();
                    stopped.countDown();
                },
                "anycast-controller-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        controller.start();
        stopped.await();
        return 0;
    }

    /** Validates the options into a config; failures read {@code --option: value (expected: ...)}. */
    AnycastController.Config config() {
        URI uri;
        try {
            uri = new URI(readyz);
        } catch (URISyntaxException e) {
            throw invalid("--readyz", readyz, "an http:// URL");
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw invalid("--readyz", readyz, "an http:// URL");
        }
        for (String protocol : protocols) {
            if (!protocol.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw invalid("--protocol", protocol, "a BIRD symbol [A-Za-z_][A-Za-z0-9_]*");
            }
        }
        if (protocols.stream().distinct().count() != protocols.size()) {
            throw invalid("--protocol", String.join(",", protocols), "distinct protocol names, e.g. vip,vip6");
        }
        positive("--interval", interval);
        Duration probeTimeout =
                timeout != null ? timeout : interval.multipliedBy(4).dividedBy(5);
        positive("--timeout", probeTimeout);
        if (probeTimeout.compareTo(interval) >= 0) {
            throw invalid(
                    "--timeout", DurationText.format(probeTimeout), "< --interval " + DurationText.format(interval));
        }
        if (rise < 1) {
            throw invalid("--rise", rise, ">= 1");
        }
        if (fall < 1) {
            throw invalid("--fall", fall, ">= 1");
        }
        notNegative("--drain-delay", drainDelay);
        notNegative("--backoff-base", backoffBase);
        if (backoffMax.compareTo(backoffBase) < 0) {
            throw invalid(
                    "--backoff-max",
                    DurationText.format(backoffMax),
                    ">= --backoff-base " + DurationText.format(backoffBase));
        }
        notNegative("--flap-window", flapWindow);
        positive("--bird-timeout", birdTimeout);
        if (pop != null && !NameRule.matches(pop)) {
            throw invalid("--pop", pop, NameRule.EXPECTATION);
        }
        Path state = stateFile.toAbsolutePath();
        if (state.getParent() == null) {
            throw invalid("--state-file", stateFile, "a file path");
        }
        return new AnycastController.Config(
                uri,
                birdSocket,
                protocols,
                state,
                interval,
                probeTimeout,
                birdTimeout,
                new AnnouncementPolicy.Settings(rise, fall, drainDelay, backoffBase, backoffMax, flapWindow),
                listenAddress(),
                pop);
    }

    /** {@code --status-listen}: an IP literal and a port, as every address the relay reads; no DNS. */
    private InetSocketAddress listenAddress() {
        InetSocketAddress address = HostPort.parse(statusListen, 0);
        if (address != null) {
            return address;
        }
        if (statusListen.lastIndexOf(':') <= 0) {
            throw invalid("--status-listen", statusListen, "HOST:PORT");
        }
        throw invalid(
                "--status-listen",
                statusListen,
                "HOST:PORT with an IP literal HOST, like 127.0.0.1:9191 or [::1]:9191 (names are not resolved),"
                        + " and a PORT from 0 to 65535");
    }

    private void positive(String option, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw invalid(option, DurationText.format(d), "> 0");
        }
    }

    private void notNegative(String option, Duration d) {
        if (d.isNegative()) {
            throw invalid(option, DurationText.format(d), ">= 0");
        }
    }

    private ParameterException invalid(String option, Object value, String expected) {
        return new ParameterException(spec.commandLine(), option + ": " + value + " (expected: " + expected + ")");
    }

    /** Durations as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h} ({@link DurationText}), or ISO-8601 ({@code PT0.5S}). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = DurationText.parse(value);
            if (d != null) {
                return d;
            }
            try {
                return Duration.parse(value.trim());
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException(
                        value + " (expected: a duration such as 500ms, 10s, 5m, 1h or PT0.5S)");
            }
        }
    }
}
