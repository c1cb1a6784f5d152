package co.airdress.relay.cli;

import co.airdress.relay.config.BackhaulConfig;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.config.RelayContext;
import co.airdress.relay.directory.DirectoryAdmin;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bin/relay directory}: the operator directory's log (docs/directory.md), reached with the
 * {@code directory.kafka} section of the relay config given with {@code --config}.
 */
@Command(
        name = "directory",
        mixinStandardHelpOptions = true,
        versionProvider = RelayCommand.Version.class,
        description = "The operator directory's Kafka log: create its topic, import an operators file, export it.",
        subcommands = {
            DirectoryCommand.CreateTopic.class,
            DirectoryCommand.Import.class,
            DirectoryCommand.Export.class,
            CommandLine.HelpCommand.class
        })
final class DirectoryCommand implements Runnable {

    @Spec
    @Nullable
    CommandSpec spec;

    @Override
    public void run() {
        if (spec != null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "a subcommand is required (create-topic, import, export)");
        }
    }

    /** The options every subcommand takes. */
    static class WithConfig {
        @Option(
                names = {"-c", "--config"},
                required = true,
                paramLabel = "FILE",
                description = "The relay config (YAML) whose directory.kafka section names the log.")
        @Nullable
        Path config;

        @Spec
        @Nullable
        CommandSpec spec;

        PrintWriter out() {
            return spec == null
                    ? new PrintWriter(System.out, true)
                    : spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec == null
                    ? new PrintWriter(System.err, true)
                    : spec.commandLine().getErr();
        }

        /** The relay config, or null after printing why it is not usable here. */
        @Nullable
        RelayConfig relayConfig() {
            Path file = config;
            if (file == null) {
                throw new IllegalArgumentException("--config is required");
            }
            Parsed<RelayConfig> parsed = RelayConfigFile.read(file);
            if (parsed instanceof Parsed.Invalid<RelayConfig> invalid) {
                problems(invalid.source(), invalid.problems());
                return null;
            }
            RelayConfig c = ((Parsed.Ok<RelayConfig>) parsed).value();
            if (c.directory() == null) {
                err().println(file + ": directory.kafka: missing (expected: the directory's log, e.g. directory: "
                        + "{ kafka: { bootstrap_servers: \"10.0.0.5:9092\" } }; relay/README.md)");
                err().flush();
                return null;
            }
            return c;
        }

        void problems(String source, List<ConfigProblem> problems) {
            PrintWriter err = err();
            err.println(source + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
            for (ConfigProblem p : problems) {
                err.println(p.path() + ": " + p.message());
            }
            err.flush();
        }

        int fail(String message) {
            err().println(message);
            err().flush();
            return RelayCommand.INVALID;
        }
    }

    @Command(
            name = "create-topic",
            mixinStandardHelpOptions = true,
            versionProvider = RelayCommand.Version.class,
            description = "Creates the directory's topic, the attachments' topic and, with a backhaul: section, the"
                    + " PoPs' topic (backhaul.topic): one partition each, compacted."
                    + " Succeeds, doing nothing, for a topic that already exists that way; fails when one exists"
                    + " otherwise.")
    static final class CreateTopic extends WithConfig implements Callable<Integer> {
        @Option(
                names = "--replication-factor",
                paramLabel = "N",
                description = "Copies of the log (default: the brokers' default.replication.factor; 3 in production).")
        @Nullable
        Short replicationFactor;

        @Option(
                names = "--min-insync-replicas",
                paramLabel = "N",
                description = "Copies that must have a write before it is acknowledged (acks=all) (default: the"
                        + " brokers' min.insync.replicas; 2 with 3 copies).")
        @Nullable
        Integer minInsyncReplicas;

        @Override
        public Integer call() {
            RelayConfig c = relayConfig();
            if (c == null) {
                return RelayCommand.INVALID;
            }
            DirectoryConfig.Kafka kafka = c.directory().kafka();
            // The directory's topic, the attachments' and the PoPs' (same shape: one partition, compacted).
            List<DirectoryConfig.Kafka> topics = new ArrayList<>(List.of(kafka, kafka.attachments()));
            BackhaulConfig backhaul = c.backhaul();
            if (backhaul != null) {
                topics.add(kafka.withTopic(backhaul.topic()));
            }
            int status = 0;
            for (DirectoryConfig.Kafka topic : topics) {
                int s = switch (DirectoryAdmin.createTopic(
                        topic, Optional.ofNullable(replicationFactor), Optional.ofNullable(minInsyncReplicas))) {
                    case DirectoryAdmin.Created.Done d -> ok(d.message());
                    case DirectoryAdmin.Created.Exists e -> ok(e.message());
                    case DirectoryAdmin.Created.Failed f -> fail(f.message());
                };
                status = Math.max(status, s);
            }
            return status;
        }

        private int ok(String message) {
            out().println(message);
            out().flush();
            return 0;
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            versionProvider = RelayCommand.Version.class,
            description = "Publishes an operators file to the directory: every entry is checked first (the file's"
                    + " rules, then against the directory in the log) and nothing is written if any is refused."
                    + " Operators not in the file stay.")
    static final class Import extends WithConfig implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The operators file (operators: [...]).")
        @Nullable
        Path file;

        @Override
        public Integer call() {
            RelayConfig c = relayConfig();
            if (c == null || file == null) {
                return RelayCommand.INVALID;
            }
            Parsed<List<Operator>> parsed = OperatorsFile.read(file);
            if (parsed instanceof Parsed.Invalid<List<Operator>> invalid) {
                problems(invalid.source(), invalid.problems());
                return RelayCommand.INVALID;
            }
            List<Operator> operators = ((Parsed.Ok<List<Operator>>) parsed).value();
            // Against the relay this config describes, as `relay check` and its admin API check them.
            List<ConfigProblem> relayProblems = OperatorsFile.validateAgainst(operators, RelayContext.of(c));
            if (!relayProblems.isEmpty()) {
                problems(file.toString(), relayProblems);
                return RelayCommand.INVALID;
            }
            DirectoryConfig.Kafka kafka = c.directory().kafka();
            return switch (DirectoryAdmin.importOperators(kafka, operators)) {
                case DirectoryAdmin.Imported.Refused r -> {
                    problems(file + " against the directory in " + kafka.topic() + ", nothing imported", r.problems());
                    yield RelayCommand.INVALID;
                }
                case DirectoryAdmin.Imported.Failed f -> fail(f.message());
                case DirectoryAdmin.Imported.Done d -> {
                    out().println("imported " + file + " into " + kafka.topic() + ": " + d.created() + " created, "
                            + d.updated() + " updated, " + d.unchanged() + " unchanged"
                            + (d.rejected().isEmpty() ? "" : ", " + d.rejected().size() + " rejected by the log"));
                    out().flush();
                    if (!d.rejected().isEmpty()) {
                        d.rejected().forEach(err()::println);
                        err().flush();
                        yield RelayCommand.INVALID;
                    }
                    yield 0;
                }
            };
        }
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            versionProvider = RelayCommand.Version.class,
            description = "Prints the directory as read from its log, as an operators file (stdout).")
    static final class Export extends WithConfig implements Callable<Integer> {
        @Override
        public Integer call() {
            RelayConfig c = relayConfig();
            if (c == null) {
                return RelayCommand.INVALID;
            }
            DirectoryConfig.Kafka kafka = c.directory().kafka();
            return switch (DirectoryAdmin.read(kafka)) {
                case DirectoryAdmin.Read.Failed f -> fail(f.message());
                case DirectoryAdmin.Read.Ok ok -> {
                    out().print(OperatorsFile.write(ok.operators()));
                    out().flush();
                    err().println("exported " + ok.operators().size() + " operators from " + kafka.topic()
                            + " read to offset " + ok.offset()
                            + (ok.rejected() == 0 ? "" : " (" + ok.rejected() + " rejected records skipped)"));
                    err().flush();
                    yield 0;
                }
            };
        }
    }
}
