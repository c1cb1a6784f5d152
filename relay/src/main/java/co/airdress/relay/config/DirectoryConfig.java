package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The {@code directory:} section: the operator directory replicated through a Kafka log instead of
 * the operators file (relay/README.md, docs/directory.md).
 *
 * @param kafka the log
 * @param snapshotFile where the PoP keeps its last table and offset, to route from when the log
 *     cannot be reached at start
 * @param snapshotInterval at most one snapshot write per interval
 */
public record DirectoryConfig(Kafka kafka, Path snapshotFile, Duration snapshotInterval) {

    public static final String DEFAULT_TOPIC = "airdress.operators";
    public static final String DEFAULT_ATTACHMENTS_TOPIC = "airdress.attachments";
    public static final String DEFAULT_SNAPSHOT_FILE = "directory.snapshot";
    public static final Duration DEFAULT_SNAPSHOT_INTERVAL = Duration.ofSeconds(1);

    public DirectoryConfig {
        requireNonNull(kafka, "kafka");
        requireNonNull(snapshotFile, "snapshotFile");
        requireNonNull(snapshotInterval, "snapshotInterval");
    }

    /**
     * @param bootstrapServers {@code host:port[,host:port...]}, as Kafka clients take them
     * @param topic the compacted, single-partition topic
     * @param properties extra client properties (TLS, SASL, tuning), passed to every client as they are
     * @param startTimeout how long the start waits for the log to answer before it routes from the
     *     snapshot (a cold client's first request takes seconds on a loaded machine)
     * @param requestTimeout bound of each request to the log that a decision waits on while running:
     *     each probe of its end offset, each retry after it was lost
     * @param writeTimeout bound of an admin API write: producing the record and applying it here
     * @param probeInterval how often the end offset is probed (lag; a lost log turns the PoP STALE)
     * @param attachmentsTopic the compacted, single-partition topic of the attachments: which PoP
     *     each operator's tunnel is attached to (docs/directory.md, "Attachments")
     */
    public record Kafka(
            String bootstrapServers,
            String topic,
            Map<String, String> properties,
            Duration startTimeout,
            Duration requestTimeout,
            Duration writeTimeout,
            Duration probeInterval,
            String attachmentsTopic) {

        public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);
        public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
        public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(5);
        public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);

        public Kafka {
            requireNonNull(bootstrapServers, "bootstrapServers");
            requireNonNull(topic, "topic");
            properties = Map.copyOf(requireNonNull(properties, "properties"));
            requireNonNull(startTimeout, "startTimeout");
            requireNonNull(requestTimeout, "requestTimeout");
            requireNonNull(writeTimeout, "writeTimeout");
            requireNonNull(probeInterval, "probeInterval");
            requireNonNull(attachmentsTopic, "attachmentsTopic");
        }

        /** The attachments in {@link #DEFAULT_ATTACHMENTS_TOPIC}. */
        public Kafka(
                String bootstrapServers,
                String topic,
                Map<String, String> properties,
                Duration startTimeout,
                Duration requestTimeout,
                Duration writeTimeout,
                Duration probeInterval) {
            this(
                    bootstrapServers,
                    topic,
                    properties,
                    startTimeout,
                    requestTimeout,
                    writeTimeout,
                    probeInterval,
                    DEFAULT_ATTACHMENTS_TOPIC);
        }

        /** The same log settings for the attachments' topic: {@link #topic()} is {@link #attachmentsTopic()}. */
        public Kafka attachments() {
            return withTopic(attachmentsTopic);
        }

        /** The same log settings for another topic of the log (e.g. the PoPs', {@code backhaul.topic}). */
        public Kafka withTopic(String other) {
            return new Kafka(
                    bootstrapServers,
                    requireNonNull(other, "other"),
                    properties,
                    startTimeout,
                    requestTimeout,
                    writeTimeout,
                    probeInterval,
                    attachmentsTopic);
        }

        /** The same settings with the attachments in {@code topic}. */
        public Kafka withAttachmentsTopic(String topic) {
            return new Kafka(
                    bootstrapServers,
                    this.topic,
                    properties,
                    startTimeout,
                    requestTimeout,
                    writeTimeout,
                    probeInterval,
                    topic);
        }

        /** Defaults for everything but where the log is. */
        public Kafka(String bootstrapServers, String topic) {
            this(
                    bootstrapServers,
                    topic,
                    Map.of(),
                    DEFAULT_START_TIMEOUT,
                    DEFAULT_REQUEST_TIMEOUT,
                    DEFAULT_WRITE_TIMEOUT,
                    DEFAULT_PROBE_INTERVAL,
                    DEFAULT_ATTACHMENTS_TOPIC);
        }
    }
}
