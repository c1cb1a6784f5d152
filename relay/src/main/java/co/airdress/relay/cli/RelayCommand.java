package co.airdress.relay.cli;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.RelayVersion;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.config.RelayContext;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.config.KeyText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code relay}: the command line. Subcommands: {@code run}, {@code check}, {@code genkey},
 * {@code pubkey}, {@code controller} (the anycast controller, a separate process),
 * {@code directory} (the operator directory's log) and {@code operator-config} (an operator's
 * wg-quick config).
 */
@Command(
        name = "relay",
        mixinStandardHelpOptions = true,
        versionProvider = RelayCommand.Version.class,
        description = "The airdress relay: routes TCP 80/443 by Host or TLS SNI to operators, without terminating TLS.",
        subcommands = {
            RelayCommand.Run.class,
            RelayCommand.Check.class,
            RelayCommand.GenKey.class,
            RelayCommand.PubKey.class,
            ControllerCommand.class,
            DirectoryCommand.class,
            OperatorConfigCommand.class,
            CommandLine.HelpCommand.class
        })
public final class RelayCommand implements Runnable {

    /** Exit status when the config or operators file is invalid. */
    public static final int INVALID = 1;

    @Spec
    @Nullable
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (for tests). */
    public static int execute(String... args) {
        return new CommandLine(new RelayCommand()).execute(args);
    }

    /** Runs the command line with its output and errors going to the given writers. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return new CommandLine(new RelayCommand()).setOut(out).setErr(err).execute(args);
    }

    @Override
    public void run() {
        // No subcommand: show the usage on stderr and fail, like any other usage error.
        if (spec != null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "a subcommand is required (run, check, genkey, pubkey, controller, directory, operator-config)");
        }
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            versionProvider = Version.class,
            description =
                    "Runs the relay until a drain (SIGTERM, SIGINT or POST /v1/drain) completes; exits 0 after a drain.")
    static final class Run implements Callable<Integer> {
        @Option(
                names = {"-c", "--config"},
                required = true,
                paramLabel = "FILE",
                description = "The relay config (YAML).")
        @Nullable
        Path config;

        @Spec
        @Nullable
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = err(spec);
            Parsed<RelayConfig> parsed = RelayConfigFile.read(requirePath(config));
            if (parsed instanceof Parsed.Invalid<RelayConfig> invalid) {
                print(err, invalid.source(), invalid.problems());
                return INVALID;
            }
            RelayConfig c = ((Parsed.Ok<RelayConfig>) parsed).value();
            try {
                return RelayDaemon.run(c);
            } catch (IllegalStateException e) {
                // The operators file did not load: its problems are in the message.
                err.println(e.getMessage());
                err.flush();
                return INVALID;
            }
        }
    }

    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            versionProvider = Version.class,
            description =
                    "Validates the config and the operators file it names (not the directory's log: see 'directory"
                            + " export'); prints every problem as 'path: message' on stderr and exits non-zero if"
                            + " there is one.")
    static final class Check implements Callable<Integer> {
        @Option(
                names = {"-c", "--config"},
                required = true,
                paramLabel = "FILE",
                description = "The relay config (YAML).")
        @Nullable
        Path config;

        @Spec
        @Nullable
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = err(spec);
            Parsed<RelayConfig> parsed = RelayConfigFile.read(requirePath(config));
            if (parsed instanceof Parsed.Invalid<RelayConfig> invalid) {
                print(err, invalid.source(), invalid.problems());
                return INVALID;
            }
            RelayConfig c = ((Parsed.Ok<RelayConfig>) parsed).value();
            if (c.directory() != null) {
                PrintWriter out = spec == null
                        ? new PrintWriter(System.out, true)
                        : spec.commandLine().getOut();
                out.println("ok: " + config + " (pop " + c.pop() + "), operators from the directory log "
                        + c.directory().kafka().topic() + " at "
                        + c.directory().kafka().bootstrapServers()
                        + " (bin/relay directory export shows them)");
                out.flush();
                return 0;
            }
            Parsed<List<Operator>> ops = OperatorsFile.read(c.operatorsFile());
            if (ops instanceof Parsed.Invalid<List<Operator>> invalid) {
                print(err, invalid.source(), invalid.problems());
                return INVALID;
            }
            List<Operator> list = ((Parsed.Ok<List<Operator>>) ops).value();
            // Against this relay: its tunnel, its listeners, this host's addresses.
            List<ConfigProblem> relayProblems = OperatorsFile.validateAgainst(list, RelayContext.of(c));
            if (!relayProblems.isEmpty()) {
                print(err, c.operatorsFile().toString(), relayProblems);
                return INVALID;
            }
            int hosts = list.stream().mapToInt(o -> o.hosts().size()).sum();
            PrintWriter out = spec == null
                    ? new PrintWriter(System.out, true)
                    : spec.commandLine().getOut();
            out.println("ok: " + config + " (pop " + c.pop() + "), " + c.operatorsFile() + " (" + list.size()
                    + " operators, " + hosts + " hosts)");
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "genkey",
            mixinStandardHelpOptions = true,
            versionProvider = Version.class,
            description =
                    "Prints a new WireGuard private key (base64), like 'wg genkey'. Keep it in a file only root can read.")
    static final class GenKey implements Callable<Integer> {
        @Spec
        @Nullable
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = out(spec);
            out.println(WireGuardKeys.generatePrivateKey(new SecureRandom()).toBase64());
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "pubkey",
            mixinStandardHelpOptions = true,
            versionProvider = Version.class,
            description =
                    "Reads a WireGuard private key (base64) on stdin and prints its public key, like 'wg pubkey'.")
    static final class PubKey implements Callable<Integer> {
        @Spec
        @Nullable
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            byte[] input = System.in.readNBytes(1024);
            WireGuardKey privateKey;
            try {
                privateKey = KeyText.parse(new String(input, StandardCharsets.US_ASCII), "private key on stdin");
            } catch (IllegalArgumentException e) {
                PrintWriter err = err(spec);
                err.println(e.getMessage());
                err.flush();
                return INVALID;
            }
            PrintWriter out = out(spec);
            out.println(WireGuardKeys.publicKey(privateKey).toBase64());
            out.flush();
            return 0;
        }
    }

    private static PrintWriter out(@Nullable CommandSpec spec) {
        return spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
    }

    private static Path requirePath(@Nullable Path p) {
        if (p == null) {
            throw new IllegalArgumentException("--config is required");
        }
        return p;
    }

    private static PrintWriter err(@Nullable CommandSpec spec) {
        return spec == null
                ? new PrintWriter(System.err, true)
                : spec.commandLine().getErr();
    }

    private static void print(PrintWriter err, String source, List<ConfigProblem> problems) {
        err.println(source + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
        for (ConfigProblem p : problems) {
            err.println(p.path() + ": " + p.message());
        }
        err.flush();
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"relay " + RelayVersion.current() + " (Java " + Runtime.version() + ")"};
        }
    }
}
