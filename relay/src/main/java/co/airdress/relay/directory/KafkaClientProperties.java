package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.DirectoryConfig;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka clients' properties for the directory's log and the attachments' topic (docs/directory.md, "Kafka client
 * settings"): the config's {@code properties} first, then what the relay sets itself, which the
 * config cannot override (it refuses those keys).
 *
 * <p>Only plain produce, fetch, metadata and (for {@code create-topic}) create-topics requests are
 * used: no consumer group, no transactions, no Streams, so any Kafka-protocol log (Redpanda) works.
 */
public final class KafkaClientProperties {

    /**
     * How long an idle fetch waits at the broker. A fetch returns as soon as one record is appended
     * ({@code fetch.min.bytes} 1), so this only bounds idle long polls: it costs no propagation
     * time, and 500 ms keeps an idle PoP at two fetches a second.
     */
    static final int FETCH_MAX_WAIT_MS = 500;

    /** Records per poll: a bootstrap applies large batches, and each poll's batch swaps the table once. */
    static final int MAX_POLL_RECORDS = 10_000;

    private KafkaClientProperties() {}

    /** A consumer without a group: it is assigned the one partition and seeks itself. */
    public static Properties consumer(DirectoryConfig.Kafka config, String clientId) {
        Properties p = common(config, clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(FETCH_MAX_WAIT_MS));
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(MAX_POLL_RECORDS));
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis(config.requestTimeout()));
        return p;
    }

    /**
     * An idempotent producer with {@code acks=all} and no lingering; a write gives up after the
     * config's {@code write_timeout}, whether waiting for metadata or for the acknowledgement.
     */
    public static Properties producer(DirectoryConfig.Kafka config, String clientId) {
        Properties p = common(config, clientId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
        String write = millis(config.writeTimeout());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, write);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, write);
        // delivery.timeout.ms must be at least linger.ms + request.timeout.ms.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, write);
        return p;
    }

    /** The admin client of {@code bin/relay directory create-topic}. */
    static Properties admin(DirectoryConfig.Kafka config, String clientId) {
        Properties p = common(config, clientId);
        p.put(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                millis(config.requestTimeout().multipliedBy(5)));
        p.put(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                millis(config.requestTimeout().multipliedBy(5)));
        return p;
    }

    private static Properties common(DirectoryConfig.Kafka config, String clientId) {
        requireNonNull(config, "config");
        requireNonNull(clientId, "clientId");
        Properties p = new Properties();
        p.putAll(config.properties());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        // Reconnect quickly after a broker restart (the default backs off up to 1 s).
        p.putIfAbsent(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        // No JMX reporter: the relay's own metrics say what a PoP needs (/metrics), and registering
        // the clients' hundreds of metrics as MBeans (again for each broker connected) costs a
        // PoP's start about a second on two cores. A property in the config brings it back.
        p.putIfAbsent(CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG, "");
        return p;
    }

    private static String millis(java.time.Duration d) {
        return Long.toString(Math.max(1, d.toMillis()));
    }
}
