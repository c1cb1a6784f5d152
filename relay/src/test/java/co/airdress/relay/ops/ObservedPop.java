package co.airdress.relay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.KafkaBroker;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A PoP to look at, alone in a network namespace (so its ports are the well-known ones and its
 * WireGuard interface touches nothing else): the relay ({@code relay run}, a child JVM) with a
 * tunnel, its anycast controller ({@code relay controller --pop}, without BIRD: it decides but
 * cannot announce), and three operators: {@code alice} direct (python's http.server and openssl
 * s_server), {@code broken} direct to a closed port (502, alert 80), {@code wg-dead} over WireGuard
 * with a key nobody holds (never handshakes: its connections fail fast), and {@code wg-live}, a
 * wireguard-go operator in the same namespace that handshakes with the relay (its peer, and so its
 * per-operator tunnel meters, exist only once it has). The operators come from an
 * operators file, or ({@link Directory#KAFKA}) from the operator directory on a Kafka broker in the
 * namespace, published there with {@code relay directory create-topic} and {@code import}.
 * {@link #load} sends a few connections of each kind. Closing it ends every process and deletes
 * the namespace.
 */
final class ObservedPop implements AutoCloseable {

    static final String POP = "obs1";
    static final String TOKEN = "observed-pop-token";
    static final int MANAGEMENT_PORT = 9090;
    static final int CONTROLLER_PORT = 9191;
    static final String MANAGEMENT = "127.0.0.1:" + MANAGEMENT_PORT;
    static final String CONTROLLER = "127.0.0.1:" + CONTROLLER_PORT;
    static final String KAFKA = "127.0.0.1:9092";
    /** The live WireGuard operator's tunnel address and UDP port. */
    static final String LIVE_ADDRESS = "fd00:a1d::e";

    static final int LIVE_PORT = 51821;

    /** Where the PoP's operators come from. */
    enum Directory {
        /** {@code operators.yaml} beside the config, watched. */
        FILE,
        /** The operator directory on a Kafka broker (KRaft) in the PoP's namespace. */
        KAFKA
    }

    private final Path dir;
    private final NetworkNamespace ns;
    private final Directory directory;
    private final List<AutoCloseable> processes = new ArrayList<>();
    private ExternalProcess relay;
    private ExternalProcess controller;
    private WireGuardGoPeer live;

    private ObservedPop(Path dir, NetworkNamespace ns, Directory directory) {
        this.dir = dir;
        this.ns = ns;
        this.directory = directory;
    }

    /** Starts everything in namespace {@code prefix}-pid with files in {@code dir}; returns once the relay is UP. */
    static ObservedPop start(Path dir, String prefix, Duration drainDelay) throws Exception {
        return start(dir, prefix, drainDelay, Directory.FILE);
    }

    /** {@link #start(Path, String, Duration)} with the operators from {@code directory}. */
    static ObservedPop start(Path dir, String prefix, Duration drainDelay, Directory directory) throws Exception {
        Prerequisites.networkNamespaces();
        for (String tool : List.of("curl", "openssl", "python3", "ss", "wireguard-go", "wg")) {
            Prerequisites.tool(tool);
        }
        NetworkNamespace ns = NetworkNamespace.create(prefix);
        ObservedPop pop = new ObservedPop(dir, ns, directory);
        try {
            pop.startAll(drainDelay);
            return pop;
        } catch (Exception | Error e) {
            pop.close();
            throw e;
        }
    }

    private void startAll(Duration drainDelay) throws Exception {
        SecretFiles.write(dir.resolve("admin.token"), TOKEN + "\n");
        WireGuardKey relayKey = WireGuardKeys.generatePrivateKey(new SecureRandom());
        SecretFiles.write(dir.resolve("wg.key"), relayKey.toBase64() + "\n");
        long id = ProcessHandle.current().pid() % 100000;
        live = WireGuardGoPeer.start(ns, "obsop" + id, LIVE_PORT, 1420, LIVE_ADDRESS + "/128");
        processes.add(live);
        Files.writeString(dir.resolve("relay.yaml"), """
                pop: %s
                listen: { http: "127.0.0.1:80", tls: "127.0.0.1:443" }
                management:
                  listen: "%s"
                  token_file: admin.token
                  controller_status: "%s"
                limits: { max_connections: 1000 }
                upstreams: { allow_loopback: true }
                timeouts: { connect: 2s, peek: 2s }
                drain: { delay: %ds, timeout: 10m }
                wireguard:
                  interface: obs%d
                  private_key_file: wg.key
                  listen_port: 51820
                  addresses: ["fd00:a1d::1/64"]
                %s""".formatted(
                        POP, MANAGEMENT, CONTROLLER, drainDelay.toSeconds(), id, directorySection()));
        writeOperators(operators(live.publicKey()));
        if (directory == Directory.KAFKA) {
            processes.add(KafkaBroker.start(
                    dir.resolve("kafka"),
                    new InetSocketAddress("127.0.0.1", 9092),
                    new InetSocketAddress("127.0.0.1", 9093),
                    ns));
            String config = dir.resolve("relay.yaml").toString();
            relayCommand("directory", "create-topic", "--config", config);
            relayCommand("directory", "import", dir.resolve("operators.yaml").toString(), "--config", config);
        }

        processes.add(OperatorServices.start(ns, "127.0.0.1", "alice", 1));
        relay = ns.start(
                "relay-" + POP,
                java(
                        "co.airdress.relay.cli.RelayCommand",
                        "run",
                        "--config",
                        dir.resolve("relay.yaml").toString()));
        processes.add(relay);
        controller = ns.start(
                "controller-" + POP,
                java(
                        "co.airdress.relay.cli.RelayCommand",
                        "controller",
                        "--pop",
                        POP,
                        "--readyz",
                        "http://" + MANAGEMENT + "/readyz",
                        "--bird-socket",
                        dir.resolve("bird.ctl").toString(),
                        "--state-file",
                        dir.resolve("vip-state.conf").toString(),
                        "--status-listen",
                        CONTROLLER,
                        "--interval",
                        "500ms",
                        "--rise",
                        "2",
                        "--bird-timeout",
                        "200ms"));
        processes.add(controller);
        Await.until(Duration.ofSeconds(90), "relay ready; output:\n" + relay, () -> {
            if (!relay.process().isAlive()) {
                throw new AssertionError("relay exited: " + relay.output());
            }
            return get("/readyz").contains("\"status\":\"UP\"");
        });
        Await.until(Duration.ofSeconds(60), "controller answering; output:\n" + controller, () -> {
            if (!controller.process().isAlive()) {
                throw new AssertionError("controller exited: " + controller.output());
            }
            return curl("-s", "http://" + CONTROLLER + "/status").output().contains("\"state\"");
        });
        // The live operator dials the relay; its peer exists once the handshake is done.
        String relayPublic = WireGuardKeys.publicKey(relayKey).toBase64();
        live.setPeer(relayPublic, "127.0.0.1:51820", 1, "fd00:a1d::1/128");
        Await.until(
                Duration.ofSeconds(30),
                "wg-live handshook with the relay; " + live.log(),
                () -> live.latestHandshake(relayPublic) > 0);
    }

    /** The config's {@code directory:} section: none (the operators file), or the broker's. */
    private String directorySection() {
        return directory == Directory.KAFKA ? "directory:\n  kafka: { bootstrap_servers: \"" + KAFKA + "\" }\n" : "";
    }

    /**
     * The operators file's entries: alice, broken, wg-dead, wg-live with key {@code liveKey} (with
     * {@link Directory#KAFKA}: imported).
     */
    static String operators(String liveKey) {
        String deadKey = WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom()))
                .toBase64();
        return """
                operators:
                  - name: alice
                    hosts: ["alice.example.test", "*.alice.example.test"]
                    upstream: { http: "127.0.0.1:8080", tls: "127.0.0.1:8443" }
                  - name: broken
                    hosts: ["broken.example.test"]
                    upstream: { http: "127.0.0.1:9", tls: "127.0.0.1:9" }
                  - name: wg-dead
                    hosts: ["wg-dead.example.test"]
                    wireguard: { public_key: "%s", address: "fd00:a1d::d" }
                  - name: wg-live
                    hosts: ["wg-live.example.test"]
                    wireguard: { public_key: "%s", address: "%s" }
                """.formatted(deadKey, liveKey, LIVE_ADDRESS);
    }

    /** Replaces the operators file atomically, as an editor would. */
    void writeOperators(String text) throws IOException {
        Path tmp = dir.resolve("operators.yaml.tmp");
        Files.writeString(tmp, text);
        Files.move(
                tmp,
                dir.resolve("operators.yaml"),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** {@code relay ARGS...} in the namespace, to completion; fails unless it exits 0. */
    private void relayCommand(String... args) {
        ExternalProcess.Result r =
                ns.execAllowingFailure(Duration.ofSeconds(120), java("co.airdress.relay.cli.RelayCommand", args));
        assertThat(r.exitCode())
                .as("relay %s: %s", String.join(" ", args), r.output())
                .isZero();
    }

    private String[] java(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
        cmd.addAll(List.of(args));
        return cmd.toArray(String[]::new);
    }

    NetworkNamespace namespace() {
        return ns;
    }

    Path dir() {
        return dir;
    }

    /** curl inside the namespace. */
    ExternalProcess.Result curl(String... args) {
        return Curl.in(ns, Duration.ofSeconds(10), args);
    }

    /** A GET on the management listener: its body (empty when it does not answer). */
    String get(String path) {
        return curl("-s", "http://" + MANAGEMENT + path).output();
    }

    /**
     * A little traffic: HTTP and TLS relayed to alice, an unknown host (404 / alert 112), 502s from
     * broken, and wg-dead's fail-fast answers; asserts each got the answer it should.
     */
    void load() {
        for (int i = 0; i < 3; i++) {
            assertThat(status("--resolve", "alice.example.test:80:127.0.0.1", "http://alice.example.test/"))
                    .isEqualTo("200");
            assertThat(status(
                            "-k",
                            "--resolve",
                            "www.alice.example.test:443:127.0.0.1",
                            "https://www.alice.example.test/"))
                    .isEqualTo("200");
        }
        assertThat(status("--resolve", "nobody.example.test:80:127.0.0.1", "http://nobody.example.test/"))
                .isEqualTo("404");
        assertThat(status("--resolve", "broken.example.test:80:127.0.0.1", "http://broken.example.test/"))
                .isEqualTo("502");
        assertThat(status("--resolve", "wg-dead.example.test:80:127.0.0.1", "http://wg-dead.example.test/"))
                .isEqualTo("502");
        // TLS to an unknown host and to an unreachable operator: refused with an alert.
        assertThat(curl("-sk", "--resolve", "nobody.example.test:443:127.0.0.1", "https://nobody.example.test/")
                        .exitCode())
                .isNotZero();
        assertThat(curl("-sk", "--resolve", "broken.example.test:443:127.0.0.1", "https://broken.example.test/")
                        .exitCode())
                .isNotZero();
    }

    private String status(String... args) {
        List<String> all = new ArrayList<>(List.of("-s", "-o", "/dev/null", "-w", "%{http_code}"));
        all.addAll(List.of(args));
        return curl(all.toArray(String[]::new)).output().strip();
    }

    /** Starts the drain through the admin API. */
    void drain() {
        String answer = curl(
                        "-s",
                        "-X",
                        "POST",
                        "-H",
                        "Authorization: Bearer " + TOKEN,
                        "http://" + MANAGEMENT + "/v1/drain")
                .output();
        assertThat(answer).contains("DRAINING");
    }

    String relayOutput() {
        return relay == null ? "" : relay.output();
    }

    String controllerOutput() {
        return controller == null ? "" : controller.output();
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            try {
                processes.get(i).close();
            } catch (Exception e) {
                // the namespace's close ends whatever is left
            }
        }
        ns.close();
    }
}
