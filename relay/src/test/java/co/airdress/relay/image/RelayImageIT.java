package co.airdress.relay.image;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ContainerEngine;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.testing.SelfSignedCertificate;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The relay's image (docker/build.sh) as a PoP runs it: a non-root user, a read-only root file
 * system with only a state volume and {@code /run} writable, no capability but
 * CAP_NET_BIND_SERVICE, in a network namespace of its own (as {@code --network host} or the lab's
 * {@code ns:} would be) where it listens on 80 and 443 and relays HTTP and TLS to upstreams on the
 * host's side of a veth pair. SIGTERM drains it and it exits 0. Also: the image's metadata and
 * size, {@code check}, {@code genkey}/{@code pubkey}, the AOT cache, and the BIRD image.
 *
 * <p>podman is driven through its command line, not Testcontainers: see docker/README.md, "Tests".
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayImageIT {

    private static final Duration CMD = Duration.ofMinutes(2);
    private static final String HOST_ADDR = "10.213.0.1";
    private static final String NS_ADDR = "10.213.0.2";
    private static final String APP = "app.example.test";
    private static final long IMAGE_BUDGET_BYTES = 120_000_000L;

    private ContainerEngine engine;
    private NetworkNamespace ns;
    private String hostIf;
    private HttpServer httpUpstream;
    private ExternalProcess tlsUpstream;
    private Path dir;
    private Path upstreamCert;
    private final String container =
            "airdress-it-relay-" + ProcessHandle.current().pid();

    @BeforeAll
    void startRelay() throws Exception {
        Prerequisites.networkNamespaces();
        Prerequisites.tool("curl");
        Prerequisites.tool("openssl");
        engine = RelayImages.build();
        dir = Files.createTempDirectory("airdress-image-it");

        ns = NetworkNamespace.create("img");
        hostIf = "imgh" + (ProcessHandle.current().pid() % 100000);
        ExternalProcess.runAllowingFailure(CMD, "ip", "link", "del", hostIf);
        ExternalProcess.run(
                CMD, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", "img0", "netns", ns.name());
        ExternalProcess.run(CMD, "ip", "addr", "add", HOST_ADDR + "/30", "dev", hostIf);
        ExternalProcess.run(CMD, "ip", "link", "set", hostIf, "up");
        ns.exec("ip", "addr", "add", NS_ADDR + "/30", "dev", "img0");
        ns.exec("ip", "link", "set", "img0", "up");

        httpUpstream = HttpServer.create(new InetSocketAddress(InetAddress.getByName(HOST_ADDR), 0), 16);
        httpUpstream.createContext("/", exchange -> {
            byte[] body = ("host upstream saw Host "
                            + exchange.getRequestHeaders().getFirst("Host") + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        httpUpstream.start();
        SelfSignedCertificate cert =
                SelfSignedCertificate.create(Files.createDirectories(dir.resolve("tls")), APP, APP);
        upstreamCert = cert.certificate();
        int tlsPort = freePort();
        tlsUpstream = ExternalProcess.start(
                "s_server",
                List.of(
                        "openssl",
                        "s_server",
                        "-accept",
                        HOST_ADDR + ":" + tlsPort,
                        "-cert",
                        upstreamCert.toString(),
                        "-key",
                        cert.key().toString(),
                        "-www",
                        "-naccept",
                        "100"));
        tlsUpstream.awaitPort(HOST_ADDR, tlsPort, Duration.ofSeconds(20));

        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("relay.yaml"), """
                pop: image-it
                listen: { http: "0.0.0.0:80", tls: "0.0.0.0:443" }
                management: { listen: "127.0.0.1:9090" }
                drain: { delay: 2s, timeout: 10s }
                """);
        Files.writeString(etc.resolve("operators.yaml"), """
                operators:
                  - name: app
                    hosts: ["%s"]
                    upstream: { http: "%s:%d", tls: "%s:%d" }
                """.formatted(
                        APP, HOST_ADDR, httpUpstream.getAddress().getPort(), HOST_ADDR, tlsPort));
        Path state = Files.createDirectories(dir.resolve("state"));
        ExternalProcess.run(CMD, "chown", "10001:10001", state.toString());

        engine.run(CMD, "rm", "--force", "--time", "0", container);
        engine.ok(
                CMD,
                "run",
                "-d",
                "--name",
                container,
                "--network",
                "ns:/run/netns/" + ns.name(),
                "--read-only",
                "--read-only-tmpfs=false",
                "--mount",
                "type=tmpfs,destination=/run,chown=true",
                "--cap-drop",
                "all",
                "--cap-add",
                "NET_BIND_SERVICE",
                "-v",
                etc + ":/etc/relay:ro",
                "-v",
                state + ":/var/lib/relay",
                RelayImages.RELAY,
                "run",
                "--config",
                "/etc/relay/relay.yaml");
        Await.until(Duration.ofSeconds(90), "the containerised relay's /readyz 200; logs:\n" + logs(), () -> {
            assertThat(running()).as("container running; logs:\n%s", logs()).isTrue();
            return curlStatus("http://127.0.0.1:9090/readyz").equals("200");
        });
    }

    @AfterAll
    void stop() throws IOException {
        if (engine != null) {
            engine.run(CMD, "rm", "--force", "--time", "0", container);
        }
        if (tlsUpstream != null) {
            tlsUpstream.close();
        }
        if (httpUpstream != null) {
            httpUpstream.stop(0);
        }
        if (ns != null) {
            ns.close();
        }
        if (hostIf != null) {
            ExternalProcess.runAllowingFailure(CMD, "ip", "link", "del", hostIf);
        }
    }

    @Test
    @Order(1)
    void relaysHttpByHostToTheHostUpstream() {
        String body = ns.exec("curl", "-sS", "-m", "10", "-H", "Host: " + APP, "http://127.0.0.1:80/");
        assertThat(body).isEqualTo("host upstream saw Host " + APP + "\n");
    }

    @Test
    @Order(2)
    void relaysTlsBySniWithoutTerminatingIt() {
        // The client checks the upstream's own certificate: the relay passed the handshake through.
        String body = ns.exec(
                "curl",
                "-sS",
                "-m",
                "10",
                "--cacert",
                upstreamCert.toString(),
                "--resolve",
                APP + ":443:127.0.0.1",
                "https://" + APP + "/");
        assertThat(body).contains("s_server");
    }

    @Test
    @Order(3)
    void runsAsNonRootOnAReadOnlyRootWithOnlyNetBindService() throws IOException {
        String pid = engine.ok(CMD, "inspect", "--format", "{{.State.Pid}}", container)
                .strip();
        String status = Files.readString(Path.of("/proc", pid, "status"));
        assertThat(line(status, "Uid:")).as("java's uids").isEqualTo("10001\t10001\t10001\t10001");
        assertThat(line(status, "CapEff:"))
                .as("effective capabilities: CAP_NET_BIND_SERVICE only")
                .isEqualTo("0000000000000400");
        assertThat(engine.ok(CMD, "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container)
                        .strip())
                .isEqualTo("true");
        ExternalProcess.Result write = engine.run(CMD, "exec", container, "bash", "-c", "echo x > /opt/relay/written");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.output()).contains("Read-only file system");
        engine.ok(CMD, "exec", container, "bash", "-c", "echo x > /var/lib/relay/written && echo x > /run/written");
        // What `podman exec` starts runs as the image's user too (bash built-ins: the image has no `id`).
        String uids = engine.ok(
                CMD,
                "exec",
                container,
                "bash",
                "-c",
                "while read -r k r e _; do [[ $k == Uid: ]] && echo $r:$e; done </proc/self/status; exit 0");
        assertThat(uids.strip()).isEqualTo("10001:10001");
    }

    @Test
    @Order(4)
    void healthcheckProbesLivez() {
        engine.ok(CMD, "healthcheck", "run", container);
        assertThat(engine.ok(CMD, "inspect", "--format", "{{json .Config.Healthcheck.Test}}", container))
                .contains("/opt/relay/bin/healthcheck");
    }

    @Test
    @Order(5)
    void sigtermDrainsAndExitsZero() {
        engine.ok(CMD, "kill", "--signal", "TERM", container);
        Await.until(
                Duration.ofSeconds(5),
                "/readyz 503 DRAINING after SIGTERM",
                () -> curlBody("http://127.0.0.1:9090/readyz").contains("\"DRAINING\""));
        // The listeners still accept during drain.delay.
        assertThat(ns.exec("curl", "-sS", "-m", "10", "-H", "Host: " + APP, "http://127.0.0.1:80/"))
                .contains("host upstream");
        String exit = engine.ok(Duration.ofSeconds(60), "wait", container).strip();
        assertThat(exit).as("exit status after the drain; logs:\n%s", logs()).isEqualTo("0");
        assertThat(logs()).contains("drain (SIGTERM) complete");
    }

    @Test
    void imageIsWithinBudgetLabelledAndStartsTheLauncherAsNonRoot() {
        long size = Long.parseLong(engine.ok(CMD, "image", "inspect", "--format", "{{.Size}}", RelayImages.RELAY)
                .strip());
        assertThat(size).as("uncompressed size, bytes").isLessThanOrEqualTo(IMAGE_BUDGET_BYTES);
        String labels = engine.ok(CMD, "image", "inspect", "--format", "{{json .Labels}}", RelayImages.RELAY);
        for (String label : List.of("version", "revision", "source")) {
            assertThat(labels).containsPattern("\"org.opencontainers.image." + label + "\":\"[^\"]+\"");
        }
        assertThat(labels).contains("\"org.opencontainers.image.version\":\"0.1.0-SNAPSHOT\"");
        assertThat(engine.ok(CMD, "image", "inspect", "--format", "{{.Config.User}}", RelayImages.RELAY)
                        .strip())
                .isEqualTo("10001:10001");
        assertThat(engine.ok(CMD, "image", "inspect", "--format", "{{json .Config.Entrypoint}}", RelayImages.RELAY))
                .contains("[\"/opt/relay/bin/relay\"]");
    }

    @Test
    void checksTheSampleConfigAndNamesEveryProblemOfABrokenOne() throws IOException {
        // The sample config as a PoP installs it: with its secrets/ inside the read-only directory.
        Path sample = Files.createDirectories(dir.resolve("sample"));
        for (String file : List.of("relay.yaml", "operators.yaml")) {
            Files.copy(ContainerEngine.repositoryRoot().resolve("docker/relay").resolve(file), sample.resolve(file));
        }
        Path secrets = Files.createDirectories(sample.resolve("secrets"));
        String key = engine.ok(CMD, "run", "--rm", "--no-healthcheck", RelayImages.RELAY, "genkey")
                .strip();
        SecretFiles.write(secrets.resolve("wg.key"), key + "\n");
        SecretFiles.write(secrets.resolve("admin.token"), "it-token\n");
        ExternalProcess.run(CMD, "chown", "-R", "10001", secrets.toString());
        ExternalProcess.Result ok = checkInContainer(sample);
        assertThat(ok.exitCode()).as(ok.output()).isZero();
        assertThat(ok.output()).doesNotContain("problem");

        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(broken.resolve("relay.yaml"), """
                pop: Not_A_Name
                listen: { http: "0.0.0.0:80" }
                drain: { delay: 0s }
                """);
        Files.writeString(broken.resolve("operators.yaml"), "operators: []\n");
        ExternalProcess.Result r = checkInContainer(broken);
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("pop:").contains("drain.delay:");
    }

    @Test
    void genkeyAndPubkeyAgreeWithWireGuardsTools() {
        Prerequisites.tool("wg");
        String key = engine.ok(CMD, "run", "--rm", "--no-healthcheck", RelayImages.RELAY, "genkey");
        assertThat(key).matches("[A-Za-z0-9+/]{43}=\n");
        ExternalProcess.Result ours = engine.runCommand(
                CMD,
                List.of("podman", "run", "--rm", "-i", "--no-healthcheck", RelayImages.RELAY, "pubkey"),
                key.getBytes(StandardCharsets.US_ASCII));
        assertThat(ours.exitCode()).as(ours.output()).isZero();
        ExternalProcess.Result wg =
                engine.runCommand(CMD, List.of("wg", "pubkey"), key.getBytes(StandardCharsets.US_ASCII));
        assertThat(ours.output()).isEqualTo(wg.output());
    }

    @Test
    void theAotCacheMatchesTheImagesRuntimeAndClassPath() {
        // AOTMode=on makes the JVM fail instead of running without a cache it cannot use.
        String out = engine.ok(
                CMD,
                "run",
                "--rm",
                "--no-healthcheck",
                "-e",
                "JAVA_OPTS=-XX:AOTMode=on -XX:AOTCache=/opt/relay/lib/relay.aot -Xlog:aot=info:stderr",
                RelayImages.RELAY_AOT,
                "--version");
        assertThat(out).contains("Opened AOT cache /opt/relay/lib/relay.aot").contains("relay 0.1.0-SNAPSHOT");
    }

    @Test
    void birdImageStartsWithdrawnAndSharesItsSocketWithTheRelayGroup() throws IOException {
        String bird = "airdress-it-bird-" + ProcessHandle.current().pid();
        Path site = dir.resolve("pop-site.conf");
        Files.writeString(
                site, Files.readString(ContainerEngine.repositoryRoot().resolve("docker/bird/pop-site.conf.example")));
        Path run = Files.createDirectories(dir.resolve("bird-run"));
        engine.run(CMD, "rm", "--force", "--time", "0", bird);
        try {
            engine.ok(
                    CMD,
                    "run",
                    "-d",
                    "--name",
                    bird,
                    "--no-healthcheck",
                    "--network",
                    "ns:/run/netns/" + ns.name(),
                    "--read-only",
                    "--cap-drop",
                    "all",
                    "--cap-add",
                    "NET_ADMIN,NET_RAW,NET_BIND_SERVICE,NET_BROADCAST" + ",SETUID,SETGID,CHOWN,FOWNER",
                    "-v",
                    site + ":/etc/bird/pop-site.conf:ro",
                    "-v",
                    run + ":/run/bird",
                    RelayImages.BIRD);
            Await.until(Duration.ofSeconds(30), "BIRD's control socket", () -> Files.exists(run.resolve("bird.ctl")));
            String protocols = engine.ok(
                    CMD,
                    "exec",
                    "--user",
                    "10001:10001",
                    bird,
                    "birdc",
                    "-s",
                    "/run/bird/bird.ctl",
                    "show",
                    "protocols");
            assertThat(protocols).containsPattern("vip +Static +master4 +down");
            assertThat(protocols).contains("uplink");
            // The controller's user (the relay image's 10001) can talk to it.
            String asRelay = engine.ok(
                    CMD, "exec", "--user", "10001:10001", bird, "birdc", "-s", "/run/bird/bird.ctl", "show", "status");
            assertThat(asRelay).contains("Daemon is up and running");
            assertThat(Files.readString(run.resolve("vip-state.conf"))).contains("VIP_STATE = 2");
        } finally {
            engine.run(CMD, "rm", "--force", "--time", "0", bird);
        }
    }

    /** {@code relay check} in a read-only container, {@code etc} mounted read-only at /etc/relay. */
    private ExternalProcess.Result checkInContainer(Path etc) {
        return engine.run(
                CMD,
                "run",
                "--rm",
                "--no-healthcheck",
                "--read-only",
                "-v",
                etc + ":/etc/relay:ro",
                RelayImages.RELAY,
                "check",
                "--config",
                "/etc/relay/relay.yaml");
    }

    private boolean running() {
        return engine.run(CMD, "inspect", "--format", "{{.State.Running}}", container)
                .output()
                .strip()
                .equals("true");
    }

    private String logs() {
        return engine.run(CMD, "logs", container).output();
    }

    private String curlStatus(String url) {
        return ns.execAllowingFailure(CMD, "curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", url)
                .output()
                .strip();
    }

    private String curlBody(String url) {
        return ns.execAllowingFailure(CMD, "curl", "-s", "-m", "2", url).output();
    }

    private static String line(String status, String prefix) {
        List<String> found = new ArrayList<>();
        status.lines()
                .filter(l -> l.startsWith(prefix))
                .forEach(l -> found.add(l.substring(prefix.length()).strip()));
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getByName(HOST_ADDR))) {
            return s.getLocalPort();
        }
    }
}
