package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.Operator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jspecify.annotations.Nullable;

/**
 * What {@code bin/relay directory} does with the log (docs/directory.md): create its topic, import
 * an operators file into it, export it as one.
 */
public final class DirectoryAdmin {

    /**
     * Compaction never touches records younger than this: a rejected write's compensating record
     * comes within milliseconds, so the window in which compaction could judge a rejected record
     * again stays far beyond it.
     */
    static final long MIN_COMPACTION_LAG_MS = Duration.ofHours(1).toMillis();

    private DirectoryAdmin() {}

    /** The outcome of {@link #createTopic}. */
    public sealed interface Created {
        record Done(String message) implements Created {}

        /** The topic exists as it should: nothing to do. */
        record Exists(String message) implements Created {}

        /** It exists, but not as the directory needs it, or the broker refused. */
        record Failed(String message) implements Created {}
    }

    /**
     * Creates the directory's topic: one partition, compacted ({@code cleanup.policy=compact},
     * {@code min.compaction.lag.ms} one hour); a topic that already exists that way is fine.
     */
    public static Created createTopic(
            DirectoryConfig.Kafka config, Optional<Short> replicationFactor, Optional<Integer> minInsyncReplicas) {
        requireNonNull(config, "config");
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        configs.put(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Long.toString(MIN_COMPACTION_LAG_MS));
        minInsyncReplicas.ifPresent(n -> configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(n)));
        long timeout = config.requestTimeout().multipliedBy(5).toMillis();
        try (Admin admin = Admin.create(KafkaClientProperties.admin(config, "airdress-relay-directory-admin"))) {
            try {
                admin.createTopics(List.of(
                                new NewTopic(config.topic(), Optional.of(1), replicationFactor).configs(configs)))
                        .all()
                        .get(timeout, TimeUnit.MILLISECONDS);
                return new Created.Done("created topic " + config.topic() + " at " + config.bootstrapServers()
                        + ": 1 partition, " + configs);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    return new Created.Failed("cannot create topic " + config.topic() + " at "
                            + config.bootstrapServers() + ": " + e.getCause());
                }
            }
            TopicDescription d = admin.describeTopics(List.of(config.topic()))
                    .allTopicNames()
                    .get(timeout, TimeUnit.MILLISECONDS)
                    .get(config.topic());
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, config.topic());
            Config c = admin.describeConfigs(List.of(resource))
                    .all()
                    .get(timeout, TimeUnit.MILLISECONDS)
                    .get(resource);
            String policy = c.get(TopicConfig.CLEANUP_POLICY_CONFIG) == null
                    ? ""
                    : c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (d.partitions().size() != 1 || !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                return new Created.Failed("topic " + config.topic() + " exists with "
                        + d.partitions().size()
                        + " partition(s) and cleanup.policy=" + policy + " (expected: 1 partition, "
                        + "cleanup.policy=compact; docs/directory.md)");
            }
            return new Created.Exists("topic " + config.topic() + " already exists at " + config.bootstrapServers()
                    + " with 1 partition and cleanup.policy=" + policy + ": nothing to do");
        } catch (ExecutionException e) {
            return new Created.Failed(
                    "topic " + config.topic() + " at " + config.bootstrapServers() + ": " + e.getCause());
        } catch (java.util.concurrent.TimeoutException | KafkaException e) {
            return new Created.Failed("no answer from " + config.bootstrapServers() + " (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Created.Failed("interrupted");
        }
    }

    /** The directory as read from the log. */
    public sealed interface Read {
        record Ok(List<Operator> operators, long offset, int rejected) implements Read {}

        record Failed(String message) implements Read {}
    }

    /** Reads the whole log into a directory, as a PoP does at start. */
    public static Read read(DirectoryConfig.Kafka config) {
        requireNonNull(config, "config");
        try (DirectoryLog log = new DirectoryLog(config, "airdress-relay-directory-export")) {
            String problem = ready(log, config);
            if (problem != null) {
                return new Read.Failed(problem);
            }
            DirectoryState state = new DirectoryState();
            long[] last = {-1};
            int[] rejected = {0};
            log.readToEnd(
                    r -> {
                        last[0] = r.offset();
                        if (state.apply(r) instanceof DirectoryState.Outcome.Rejected) {
                            rejected[0]++;
                        }
                    },
                    config.requestTimeout().multipliedBy(5));
            return new Read.Ok(state.list(), last[0], rejected[0]);
        } catch (KafkaException e) {
            return new Read.Failed("reading " + config.topic() + " at " + config.bootstrapServers() + ": " + e);
        }
    }

    /** The outcome of {@link #importOperators}. */
    public sealed interface Imported {
        /** Nothing was written: every entry that would be refused. */
        record Refused(List<ConfigProblem> problems) implements Imported {}

        /**
         * Written: {@code rejected} lists records the log refused all the same (a conflicting write
         * of another PoP came between the check and the write), each compensated.
         */
        record Done(int created, int updated, int unchanged, List<String> rejected) implements Imported {}

        record Failed(String message) implements Imported {}
    }

    /**
     * Publishes {@code operators} (a valid operators file) to the log, each as a put of its own
     * (operators not in the file stay): first checks every entry against the directory as the log
     * holds it, in file order as the log will apply them, and writes nothing if any is refused.
     */
    public static Imported importOperators(DirectoryConfig.Kafka config, List<Operator> operators) {
        requireNonNull(config, "config");
        requireNonNull(operators, "operators");
        String prefix = "import-" + Long.toHexString(new Random().nextLong() & 0xffffffffL) + "-";
        try (DirectoryLog log = new DirectoryLog(config, "airdress-relay-directory-import");
                DirectoryWriter writer = new DirectoryWriter(config, "airdress-relay-directory-import")) {
            String problem = ready(log, config);
            if (problem != null) {
                return new Imported.Failed(problem);
            }
            Duration stall = config.requestTimeout().multipliedBy(5);
            DirectoryState staged = new DirectoryState();
            log.readToEnd(staged::apply, stall);
            List<ConfigProblem> problems = new ArrayList<>();
            List<Operator> changed = new ArrayList<>();
            int created = 0;
            int unchanged = 0;
            for (int i = 0; i < operators.size(); i++) {
                Operator op = operators.get(i);
                ClaimConflict conflict = staged.conflict(op);
                if (conflict != null) {
                    problems.add(conflict.problem(path(i, op, conflict)));
                    continue;
                }
                Operator before = staged.put(op);
                if (op.equals(before)) {
                    unchanged++;
                } else {
                    created += before == null ? 1 : 0;
                    changed.add(op);
                }
            }
            if (!problems.isEmpty()) {
                return new Imported.Refused(problems);
            }
            List<java.util.concurrent.CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < changed.size(); i++) {
                sent.add(writer.send(DirectoryRecord.put(config.topic(), changed.get(i), prefix + i)));
            }
            writer.flush();
            for (var f : sent) {
                f.join();
            }
            // Read it all again: how the log judged our records, and compensate any it rejected.
            DirectoryState state = new DirectoryState();
            Map<String, DirectoryRecord> lastOfKey = new HashMap<>();
            List<DirectoryRecord> ownRejected = new ArrayList<>();
            List<String> rejected = new ArrayList<>();
            log.readToEnd(
                    r -> {
                        DirectoryState.Outcome o = state.apply(r);
                        if (r.key() != null) {
                            lastOfKey.put(new String(r.key(), StandardCharsets.UTF_8), r);
                        }
                        String request = r.request();
                        if (request != null
                                && request.startsWith(prefix)
                                && o instanceof DirectoryState.Outcome.Rejected rej) {
                            ownRejected.add(r);
                            rejected.add("offset " + r.offset() + ": " + rej.message());
                        }
                    },
                    stall);
            for (DirectoryRecord r : ownRejected) {
                String name = new String(requireNonNull(r.key()), StandardCharsets.UTF_8);
                if (lastOfKey.get(name) == r) {
                    writer.send(DirectoryRecord.compensation(
                                    config.topic(), name, state.get(name), r.offset(), prefix + "c" + r.offset()))
                            .join();
                }
            }
            return new Imported.Done(created, changed.size() - created, unchanged, rejected);
        } catch (KafkaException | java.util.concurrent.CompletionException e) {
            return new Imported.Failed("writing " + config.topic() + " at " + config.bootstrapServers() + ": " + e);
        }
    }

    private static String path(int i, Operator op, ClaimConflict conflict) {
        String path = "operators[" + i + "]";
        return switch (conflict.kind()) {
            case HOST -> path + ".hosts[" + op.hosts().indexOf(conflict.claim()) + "]";
            case PUBLIC_KEY -> path + ".wireguard.public_key";
            case ADDRESS -> path + ".wireguard.address";
        };
    }

    private static @Nullable String ready(DirectoryLog log, DirectoryConfig.Kafka config) {
        return switch (log.describe(config.requestTimeout().multipliedBy(5))) {
            case DirectoryLog.Topic.Ready r -> null;
            case DirectoryLog.Topic.Missing m -> m.message();
            case DirectoryLog.Topic.TooManyPartitions p -> p.message();
            case DirectoryLog.Topic.Unreachable u -> "directory log unreachable: " + u.message();
        };
    }
}
