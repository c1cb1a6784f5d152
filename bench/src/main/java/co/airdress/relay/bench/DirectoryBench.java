package co.airdress.relay.bench;

import co.airdress.relay.RelayDaemon;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.directory.DirectoryAdmin;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.ContainerEngine;
import co.airdress.relay.testing.KafkaBroker;
import co.airdress.relay.testing.SecretFiles;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The operator directory on a real Kafka broker (bench/README.md, "Directory"), one measurement
 * per command; each starts its own single-node KRaft broker in a temporary directory.
 *
 * <pre>
 * DirectoryBench propagation [CHANGES] [PRELOADED]   PUT on PoP A -> first connection routed by PoP B
 * DirectoryBench bootstrap [OPERATORS]               bin/relay run from start to /readyz 200
 * DirectoryBench memory [OPERATORS]                  heap held by a PoP's directory of that size
 * </pre>
 *
 * <p>{@code -Dbench.kafka="fetch.max.wait.ms: 100"} adds Kafka client properties to the relays' config.
 * {@code -Dbench.relay.image=IMAGE} makes bootstrap run the relay from that image (docker/build.sh),
 * with podman on the host's network, from {@code podman run} to {@code /readyz} 200.
 */
public final class DirectoryBench {

    private static final String TOKEN = "bench-token";

    private DirectoryBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: DirectoryBench propagation [CHANGES] [PRELOADED] | bootstrap [OPERATORS]"
                    + " | memory [OPERATORS]");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("airdress-directory-bench-");
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker"))) {
            switch (args[0]) {
                case "propagation" -> propagation(broker, dir, arg(args, 1, 200), arg(args, 2, 0));
                case "bootstrap" -> bootstrap(broker, dir, arg(args, 1, 100_000));
                case "memory" -> memory(broker, dir, arg(args, 1, 100_000));
                default -> {
                    System.err.println("unknown measurement: " + args[0]);
                    System.exit(2);
                }
            }
        }
        System.exit(0);
    }

    private static int arg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }

    // ---- propagation ----

    private static void propagation(KafkaBroker broker, Path dir, int changes, int preloaded) throws Exception {
        String topic = topic(broker, "propagation");
        if (preloaded > 0) {
            produce(broker, topic, preloaded, "pre");
        }
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        upstream.createContext("/", exchange -> {
            byte[] ok = "ok\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ok);
            }
        });
        upstream.start();
        int port = upstream.getAddress().getPort();
        try (RelayDaemon a = relay(dir.resolve("a"), "pop-a", broker, topic);
                RelayDaemon b = relay(dir.resolve("b"), "pop-b", broker, topic);
                HttpClient client = HttpClient.newHttpClient()) {
            int listener = b.address(Listener.HTTP).getPort();
            String api = "http://127.0.0.1:" + a.managementAddress().getPort() + "/v1/operators/";
            // Warm up both JVM paths (API, produce, fetch, table swap, relaying) before measuring.
            for (int i = 0; i < 20; i++) {
                var put = change(client, api, "warm" + i, port);
                awaitRouted(listener, "warm" + i + ".bench.test");
                answered(put);
            }
            long[] micros = new long[changes];
            for (int i = 0; i < changes; i++) {
                String name = "op" + i;
                String host = name + ".bench.test";
                long t0 = System.nanoTime();
                var put = change(client, api, name, port);
                // pop-b may route the change before pop-a has answered its PUT: not waited for.
                awaitRouted(listener, host);
                micros[i] = (System.nanoTime() - t0) / 1000;
                answered(put);
            }
            Arrays.sort(micros);
            System.out.printf(
                    "propagation PUT on pop-a -> first connection routed by pop-b: %d changes, %d operators"
                            + " preloaded: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    changes,
                    preloaded,
                    percentile(micros, 50) / 1000.0,
                    percentile(micros, 90) / 1000.0,
                    percentile(micros, 99) / 1000.0,
                    micros[micros.length - 1] / 1000.0);
        } finally {
            upstream.stop(0);
        }
    }

    private static java.util.concurrent.CompletableFuture<HttpResponse<String>> change(
            HttpClient client, String api, String name, int port) {
        String body = "{\"name\":\"" + name + "\",\"hosts\":[\"" + name + ".bench.test\"],\"upstream\":{\"http\":"
                + "\"127.0.0.1:" + port + "\"}}";
        return client.sendAsync(
                HttpRequest.newBuilder(URI.create(api + name))
                        .header("Authorization", "Bearer " + TOKEN)
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void answered(java.util.concurrent.CompletableFuture<HttpResponse<String>> put) {
        HttpResponse<String> r = put.join();
        if (r.statusCode() != 201) {
            throw new IllegalStateException("PUT: " + r.statusCode() + " " + r.body());
        }
    }

    /** New connections to pop-b until one is relayed to the upstream (200); unknown hosts get 404. */
    private static void awaitRouted(int port, String host) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setTcpNoDelay(true);
                s.getOutputStream()
                        .write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                if (status != null && status.startsWith("HTTP/1.1 200")) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(host + " not routed by pop-b within 30 s");
            }
        }
    }

    private static long percentile(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    // ---- bootstrap ----

    private static void bootstrap(KafkaBroker broker, Path dir, int operators) throws Exception {
        String topic = topic(broker, "bootstrap");
        long t = System.nanoTime();
        produce(broker, topic, operators, "op");
        System.out.printf("wrote %d operators to %s in %d ms%n", operators, topic, millisSince(t));
        Path yaml = yaml(dir.resolve("boot"), "pop-boot", broker, topic);
        Path root = Path.of(System.getProperty("airdress.root", ".")).toAbsolutePath();
        String image = System.getProperty("bench.relay.image");
        String javaOpts = System.getenv().getOrDefault("JAVA_OPTS", "-Xmx2g -Dairdress.access.file=/dev/null");
        String container = "airdress-bench-bootstrap-" + ProcessHandle.current().pid();
        List<String> command = image == null
                ? List.of(root.resolve("bin/relay").toString(), "run", "--config", yaml.toString())
                : List.of(
                        "podman",
                        "run",
                        "--rm",
                        "--name",
                        container,
                        "--network",
                        "host",
                        // root in the container: the bench's files are its own, mode 0700
                        "--user",
                        "0:0",
                        "--volume",
                        dir + ":" + dir,
                        "--env",
                        "JAVA_OPTS=" + javaOpts,
                        image,
                        "run",
                        "--config",
                        yaml.toString());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("relay.log").toFile());
        pb.environment().put("JAVA_OPTS", javaOpts);
        if (image != null) {
            pb.environment().putAll(ContainerEngine.podman().environment());
        }
        try (HttpClient client = HttpClient.newHttpClient()) {
            // The JDK client's first request loads and starts what it needs (a few hundred ms
            // here): done before the clock starts, as for a controller that polls all the time.
            warmUp(client);
            long started = System.nanoTime();
            Process relay = pb.start();
            try {
                awaitReady(
                        client,
                        relay,
                        dir,
                        operators,
                        started,
                        image == null ? "bin/relay run" : "podman run " + image);
            } finally {
                relay.destroy();
                relay.waitFor();
                if (image != null) {
                    new ProcessBuilder("podman", "rm", "--force", "--time", "0", container)
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start()
                            .waitFor();
                }
            }
        }
    }

    /** A request to a port nothing listens on: refused at once, the client is warm. */
    private static void warmUp(HttpClient client) throws InterruptedException {
        try {
            client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException expected) {
            // connection refused
        }
    }

    private static final String MANAGEMENT_LINE = "management listening on /";

    private static void awaitReady(HttpClient client, Process relay, Path dir, int operators, long started, String how)
            throws IOException, InterruptedException {
        Path log = dir.resolve("relay.log");
        String management = null;
        while (management == null) {
            if (!relay.isAlive()) {
                throw new IllegalStateException("relay exited: " + Files.readString(log));
            }
            // Management answers while the directory loads: from then on /readyz is polled, as
            // the PoP's controller does all the time.
            for (String line : Files.readAllLines(log)) {
                int i = line.indexOf(MANAGEMENT_LINE);
                if (i >= 0) {
                    management = line.substring(i + MANAGEMENT_LINE.length())
                            .split(" ")[0]
                            .trim();
                }
            }
            Thread.sleep(20); // the relay starts on this machine's cores: do not spin
        }
        while (true) {
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create("http://" + management + "/readyz"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                break;
            }
            // A controller polls every 200 ms to 1 s: this adds at most 50 ms and takes no core from the read.
            Thread.sleep(50);
        }
        long ready = millisSince(started);
        String read = Files.readAllLines(log).stream()
                .filter(l -> l.contains("read to offset"))
                .findFirst()
                .orElse("");
        System.out.printf(
                "bootstrap of %d operators: %s -> /readyz 200 in %d ms (JVM start included); the"
                        + " relay's own line: %s%n",
                operators, how, ready, read.substring(Math.max(0, read.indexOf("directory log"))));
    }

    // ---- memory ----

    /**
     * Heap retained by a PoP's directory of {@code operators} operators read from the log: used
     * heap after full collections with the directory started (its first snapshot written, so no
     * transient buffer is counted) minus before it; then, of that, the route table's index alone,
     * measured as a second table built from the same operators (the operators themselves shared).
     */
    private static void memory(KafkaBroker broker, Path dir, int operators) throws Exception {
        String topic = topic(broker, "memory");
        long t = System.nanoTime();
        produce(broker, topic, operators, "op");
        System.out.printf("wrote %d operators to %s in %d ms%n", operators, topic, millisSince(t));
        long before = usedHeapAfterGc();
        Routes routes = new Routes(RouteTable.empty());
        RelayMetrics metrics = new RelayMetrics("pop-memory");
        long started = System.nanoTime();
        // The full collections of the measurement stop the JVM for seconds at a million operators: a
        // request timeout above them, so that the log is not taken for lost (and replayed) meanwhile.
        DirectoryConfig.Kafka kafka = new DirectoryConfig.Kafka(
                broker.bootstrapServers(),
                topic,
                Map.of(),
                Duration.ofMinutes(5),
                Duration.ofMinutes(2),
                DirectoryConfig.Kafka.DEFAULT_WRITE_TIMEOUT,
                DirectoryConfig.Kafka.DEFAULT_PROBE_INTERVAL);
        try (OperatorDirectory directory = OperatorDirectory.log(
                new DirectoryConfig(kafka, dir.resolve("memory.snapshot"), Duration.ofHours(1)),
                "pop-memory",
                routes,
                new HealthState("pop-memory"),
                metrics)) {
            directory.start();
            long loaded = millisSince(started);
            Counter snapshots = metrics.registry()
                    .get("relay.directory.snapshot.writes")
                    .tag("result", "ok")
                    .counter();
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (snapshots.count() < 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no snapshot written within 5 minutes");
                }
                Thread.sleep(100);
            }
            long withDirectory = usedHeapAfterGc();
            RouteTable table = RouteTable.of(directory.list(), 2);
            long withSecondTable = usedHeapAfterGc();
            Reference.reachabilityFence(table);
            double applied = metrics.registry()
                    .get("relay.directory.records")
                    .tags("result", "applied", "reason", "none")
                    .counter()
                    .count();
            if (applied != operators) {
                throw new IllegalStateException(
                        applied + " records applied (expected " + operators + ": the log was replayed meanwhile)");
            }
            long retained = withDirectory - before;
            long index = withSecondTable - withDirectory;
            System.out.printf(
                    "memory of a directory of %d operators (%d host patterns) read from the log in %d ms: %.1f MiB"
                            + " of heap retained (%.0f bytes per operator): the operators, the directory's state and"
                            + " claims index, the route table and the log consumer; of which the route table's"
                            + " index: %.1f MiB (%.0f bytes per operator)%n",
                    directory.size(),
                    routes.current().size(),
                    loaded,
                    retained / 1048576.0,
                    retained / (double) operators,
                    index / 1048576.0,
                    index / (double) operators);
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    // ---- shared ----

    /** Creates the directory's topic {@code name} and, as a PoP's log has it, the attachments' topic. */
    private static String topic(KafkaBroker broker, String name) {
        DirectoryConfig.Kafka kafka = new DirectoryConfig.Kafka(broker.bootstrapServers(), name);
        for (DirectoryConfig.Kafka t : List.of(kafka, kafka.attachments())) {
            DirectoryAdmin.Created c = DirectoryAdmin.createTopic(t, Optional.empty(), Optional.empty());
            if (c instanceof DirectoryAdmin.Created.Failed f) {
                throw new IllegalStateException(f.message());
            }
        }
        return name;
    }

    /**
     * Writes {@code n} operators as the admin API would (each one record, value the PUT body), an
     * exact host and a wildcard each, sent asynchronously so the producer batches them.
     */
    private static void produce(KafkaBroker broker, String topic, int n, String prefix) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = prefix + i;
                String value = "{\"name\":\"" + name + "\",\"hosts\":[\"" + name + ".a.airdr.es\",\"*." + name
                        + ".a.airdr.es\"],\"upstream\":{\"http\":\"10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "."
                        + (i & 255) + ":8080\"},\"proxy_protocol\":\"v2\"}";
                sent.add(producer.send(new ProducerRecord<>(
                        topic, 0, name.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8))));
                if (sent.size() >= 10_000) {
                    for (Future<?> f : sent) {
                        f.get();
                    }
                    sent.clear();
                }
            }
            for (Future<?> f : sent) {
                f.get();
            }
        }
    }

    private static Path yaml(Path dir, String pop, KafkaBroker broker, String topic) throws IOException {
        Files.createDirectories(dir);
        SecretFiles.write(dir.resolve("admin.token"), TOKEN + "\n");
        Path yaml = dir.resolve("relay.yaml");
        Files.writeString(
                yaml, """
                pop: %s
                listen: { http: "127.0.0.1:0" }
                management: { listen: "127.0.0.1:0", token_file: admin.token }
                drain: { delay: 10ms, timeout: 1s }
                upstreams: { allow_loopback: true }
                directory: { kafka: { bootstrap_servers: "%s", topic: %s, properties: { %s } } }
                """.formatted(pop, broker.bootstrapServers(), topic, System.getProperty("bench.kafka", "")));
        return yaml;
    }

    private static RelayDaemon relay(Path dir, String pop, KafkaBroker broker, String topic) throws Exception {
        Parsed<RelayConfig> parsed = RelayConfigFile.read(yaml(dir, pop, broker, topic));
        if (!(parsed instanceof Parsed.Ok<RelayConfig> ok)) {
            throw new IllegalStateException(parsed.toString());
        }
        return RelayDaemon.start(ok.value());
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
