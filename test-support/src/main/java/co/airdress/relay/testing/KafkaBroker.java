package co.airdress.relay.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A real Apache Kafka broker for tests and the lab: one KRaft node (broker and controller in one
 * process) started from the Maven artifacts {@code org.apache.kafka:kafka_2.13} and
 * {@code kafka-tools}, as a separate JVM so that a test can stop it, kill it and start it again
 * on the same data directory and ports.
 *
 * <p>The build writes the broker's classpath to the resource {@code kafka-broker.classpath}
 * (test-support's pom); a missing resource is a missing prerequisite. Topics are never created
 * automatically ({@code auto.create.topics.enable=false}): a test creates what it uses, as a PoP
 * operator would.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final String READY_LINE = "Kafka Server started";

    private static @Nullable KafkaBroker shared;

    private final Path dir;
    private final InetSocketAddress listen;
    private final InetSocketAddress controller;
    private final @Nullable NetworkNamespace namespace;
    private final String classpath;
    private @Nullable ExternalProcess process;
    private int starts;

    private KafkaBroker(
            Path dir,
            InetSocketAddress listen,
            InetSocketAddress controller,
            @Nullable NetworkNamespace namespace,
            String classpath) {
        this.dir = dir;
        this.listen = listen;
        this.controller = controller;
        this.namespace = namespace;
        this.classpath = classpath;
    }

    /** Formats {@code dir} and starts a broker on two free loopback ports; returns once it serves. */
    public static KafkaBroker start(Path dir) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        return start(
                dir, new InetSocketAddress(loopback, freePort()), new InetSocketAddress(loopback, freePort()), null);
    }

    /**
     * Formats {@code dir} and starts a broker listening on {@code listen} (clients) and
     * {@code controller} (KRaft), inside {@code namespace} when given; returns once it serves.
     */
    public static KafkaBroker start(
            Path dir, InetSocketAddress listen, InetSocketAddress controller, @Nullable NetworkNamespace namespace) {
        requireNonNull(dir, "dir");
        requireNonNull(listen, "listen");
        requireNonNull(controller, "controller");
        KafkaBroker broker = new KafkaBroker(dir, listen, controller, namespace, classpath());
        broker.format();
        broker.restart();
        return broker;
    }

    /**
     * One broker for every test of this JVM that only needs a broker (not one it may stop): started
     * on first use, stopped when the JVM exits. Tests that share it use topic names of their own.
     */
    public static synchronized KafkaBroker shared() {
        KafkaBroker b = shared;
        if (b != null && b.running()) {
            return b;
        }
        try {
            Path dir = Files.createTempDirectory("airdress-kafka-shared-");
            KafkaBroker started = start(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "kafka-broker-stop"));
            shared = started;
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code host:port} for the clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return listen.getAddress().getHostAddress() + ":" + listen.getPort();
    }

    public InetSocketAddress address() {
        return listen;
    }

    public boolean running() {
        ExternalProcess p = process;
        return p != null && p.process().isAlive();
    }

    /** Starts the broker again on the same data directory and ports (after {@link #stop} or {@link #kill}). */
    public synchronized KafkaBroker restart() {
        if (running()) {
            throw new IllegalStateException("broker already running: " + this);
        }
        starts++;
        List<String> command = new ArrayList<>(javaCommand());
        command.add("kafka.Kafka");
        command.add(dir.resolve("server.properties").toString());
        ExternalProcess p = ExternalProcess.start("kafka-broker-" + starts, prefixed(command));
        process = p;
        p.awaitOutput(READY_LINE, START_TIMEOUT);
        if (namespace == null) {
            p.awaitPort(listen.getAddress().getHostAddress(), listen.getPort(), START_TIMEOUT);
        }
        return this;
    }

    /** Stops the broker cleanly (SIGTERM) and waits for it to exit. */
    public synchronized void stop() {
        ExternalProcess p = process;
        if (p != null) {
            p.close();
        }
    }

    /** Kills the broker (SIGKILL): no clean shutdown, as when a machine dies. */
    public synchronized void kill() {
        ExternalProcess p = process;
        if (p == null) {
            return;
        }
        p.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        p.process().destroyForcibly();
        try {
            p.process().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the broker printed in its latest run. */
    public String output() {
        ExternalProcess p = process;
        return p == null ? "" : p.output();
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "kafka broker " + bootstrapServers() + " (" + dir + ")";
    }

    /**
     * Runs a broker in the foreground until the JVM is told to stop:
     * {@code KafkaBroker DIR LISTEN_IP:PORT CONTROLLER_IP:PORT}. Used by {@code lab/run.sh}, which
     * starts it inside the lab's core namespace.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: KafkaBroker DIR LISTEN_IP:PORT CONTROLLER_IP:PORT");
            System.exit(2);
        }
        KafkaBroker broker = new KafkaBroker(
                Path.of(args[0]).toAbsolutePath(), socketAddress(args[1]), socketAddress(args[2]), null, classpath());
        if (!Files.exists(broker.dir.resolve("meta.properties"))
                && !Files.exists(broker.dir.resolve("logs/meta.properties"))) {
            broker.format();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(broker::stop, "kafka-broker-stop"));
        broker.restart();
        System.out.println("kafka broker serving on " + broker.bootstrapServers());
        ExternalProcess p = requireNonNull(broker.process, "process");
        p.process().waitFor();
        System.out.println("kafka broker exited with " + p.process().exitValue() + "; output:\n" + p.output());
    }

    private void format() {
        try {
            Files.createDirectories(dir.resolve("logs"));
            Files.writeString(dir.resolve("server.properties"), serverProperties());
            Files.writeString(dir.resolve("logback.xml"), LOGBACK);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the broker's configuration in " + dir, e);
        }
        List<String> command = new ArrayList<>(javaCommand());
        command.addAll(List.of(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                clusterId(),
                "-c",
                dir.resolve("server.properties").toString()));
        ExternalProcess.run(FORMAT_TIMEOUT, prefixed(command).toArray(String[]::new));
    }

    private String serverProperties() {
        String host = listen.getAddress().getHostAddress();
        String controllerHost = controller.getAddress().getHostAddress();
        return String.join(
                "\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=" + bracket(controllerHost) + ":" + controller.getPort(),
                "listeners=PLAINTEXT://" + bracket(host) + ":" + listen.getPort() + ",CONTROLLER://"
                        + bracket(controllerHost) + ":" + controller.getPort(),
                "advertised.listeners=PLAINTEXT://" + bracket(host) + ":" + listen.getPort(),
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("logs"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "auto.create.topics.enable=false",
                "group.initial.rebalance.delay.ms=0",
                // After a kill, the new process registers only once the old registration's session
                // expired (default 9 s): a short session lets a killed broker come back quickly.
                "broker.session.timeout.ms=2000",
                "broker.heartbeat.interval.ms=500",
                "");
    }

    private List<String> javaCommand() {
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms128m",
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "--sun-misc-unsafe-memory-access=allow",
                "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
                "-cp",
                classpath);
    }

    private List<String> prefixed(List<String> command) {
        NetworkNamespace ns = namespace;
        return ns == null ? command : List.of(ns.prefixed(command.toArray(String[]::new)));
    }

    private static String classpath() {
        try (InputStream in = KafkaBroker.class.getResourceAsStream("kafka-broker.classpath")) {
            if (in == null) {
                Prerequisites.require(
                        false, "the Kafka broker's classpath (resource kafka-broker.classpath, written by the build)");
                throw new AssertionError("unreachable");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, never starting with
     * '-' (the storage tool would read such an id as an option): the first byte's top bit is
     * cleared, so the first character is one of A-Z and a-f.
     */
    private static String clusterId() {
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        id[0] &= 0x7f;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String bracket(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private static InetSocketAddress socketAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("address: " + text + " (expected: IP:PORT)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new InetSocketAddress(InetAddress.ofLiteral(host), Integer.parseInt(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("address: " + text + " (expected: IP:PORT)", e);
        }
    }

    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>[%d{HH:mm:ss.SSS}] %-5level %logger{20} - %msg%n</pattern></encoder>
              </appender>
              <logger name="kafka.server.KafkaRaftServer" level="INFO"/>
              <logger name="kafka.log.LogCleaner" level="INFO"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
}
