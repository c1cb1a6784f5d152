package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay ({@code relay run} in a child JVM) is killed with SIGKILL and started again with the
 * same config while operator A's wireguard-go keeps its old session and is not touched: the new
 * relay initiates to A's remembered endpoint, so A is reachable again at once instead of after
 * wireguard-go's REKEY_AFTER_TIME (120 s), when it would re-handshake by itself.
 */
class WireGuardRelayRestartTest {

    private static final String RELAY_CLIENT_SIDE = "192.168.103.1";
    private static final String CLIENT_ADDRESS = "192.168.103.2";
    private static final String A_ADDRESS = "fd00:a1d::a";

    @TempDir
    Path dir;

    @Test
    void operatorIsReachableSoonAfterTheRelayIsKilledAndRestarted() throws Exception {
        Prerequisites.networkNamespaces();
        for (String tool : List.of("wireguard-go", "wg", "curl", "openssl", "python3")) {
            Prerequisites.tool(tool);
        }
        long id = ProcessHandle.current().pid() % 100000;
        WireGuardKey relayKey = WireGuardKeys.generatePrivateKey(new SecureRandom());
        String relayPublic = WireGuardKeys.publicKey(relayKey).toBase64();
        Files.writeString(dir.resolve("wg.key"), relayKey.toBase64() + "\n");
        Files.writeString(dir.resolve("relay.yaml"), """
                pop: wgrestart
                listen: { http: "%s:80" }
                management: { listen: "127.0.0.1:9090" }
                timeouts: { connect: 5s }
                drain: { delay: 100ms, timeout: 5s }
                wireguard:
                  interface: rwr%d
                  private_key_file: wg.key
                  listen_port: 51820
                  addresses: ["fd00:a1d::1/64"]
                """.formatted(RELAY_CLIENT_SIDE, id));

        try (RelayTopology topology = RelayTopology.create("wgrr");
                NetworkNamespace client = NetworkNamespace.create("wgrr-client")) {
            NetworkNamespace relayNs = topology.relay();
            relayNs.link("rrc" + id, RELAY_CLIENT_SIDE + "/24", client, "crc" + id, CLIENT_ADDRESS + "/24");

            try (WireGuardGoPeer a =
                            WireGuardGoPeer.start(topology.operatorA(), "wra" + id, 51821, 1420, A_ADDRESS + "/64");
                    OperatorServices services =
                            OperatorServices.start(topology.operatorA(), A_ADDRESS, "operator-a", 1)) {
                a.setPeer(relayPublic, RelayTopology.RELAY_UNDERLAY_A + ":51820", 1, "fd00:a1d::1/128");
                Files.writeString(dir.resolve("operators.yaml"), """
                        operators:
                          - name: a
                            hosts: ["a.example.test"]
                            wireguard: { public_key: "%s", address: "%s", ports: { http: %d } }
                        """.formatted(
                                a.publicKey(), A_ADDRESS, OperatorServices.HTTP_PORT));
                Path endpoints = dir.resolve("rwr" + id + ".endpoints");

                try (ExternalProcess first = startRelay(relayNs, "relay-first")) {
                    awaitReady(relayNs, first);
                    Await.until(
                            Duration.ofSeconds(20),
                            "A's handshake with the relay",
                            () -> a.latestHandshake(relayPublic) > 0);
                    assertThat(curlA(client).output()).isEqualTo("hello from operator operator-a\n");
                    Await.until(
                            Duration.ofSeconds(10),
                            "A's endpoint saved in " + endpoints,
                            () -> Files.exists(endpoints)
                                    && read(endpoints)
                                            .contains(a.publicKey() + " " + RelayTopology.OPERATOR_A_UNDERLAY
                                                    + ":51821"));

                    ExternalProcess.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(first.pid()));
                    assertThat(first.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
                }
                long handshakeBefore = a.latestHandshake(relayPublic);

                try (ExternalProcess second = startRelay(relayNs, "relay-second")) {
                    awaitReady(relayNs, second);
                    long readyAt = System.nanoTime();
                    // Without the remembered endpoint this takes up to ~120 s: the new relay cannot
                    // decrypt A's keepalives and waits until wireguard-go's session ages out.
                    Await.until(
                            Duration.ofSeconds(15),
                            "a curl through the restarted relay reaches A; output:\n" + second,
                            () -> curlA(client).output().equals("hello from operator operator-a\n"));
                    Duration back = Duration.ofNanos(System.nanoTime() - readyAt);
                    assertThat(a.latestHandshake(relayPublic))
                            .as("a new handshake")
                            .isGreaterThanOrEqualTo(handshakeBefore);
                    assertThat(second.output()).contains("handshake initiated to 1 operator(s)");
                    System.out.println("restart: A reachable " + back.toMillis() + " ms after /readyz");

                    ExternalProcess.run(Duration.ofSeconds(10), "kill", "-TERM", Long.toString(second.pid()));
                    assertThat(second.process().waitFor(30, TimeUnit.SECONDS))
                            .as(second.output())
                            .isTrue();
                }
            }
        }
    }

    private ExternalProcess startRelay(NetworkNamespace relayNs, String name) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return relayNs.start(
                name,
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "co.airdress.relay.cli.RelayCommand",
                "run",
                "--config",
                dir.resolve("relay.yaml").toString());
    }

    private static void awaitReady(NetworkNamespace relayNs, ExternalProcess relay) {
        Await.until(Duration.ofSeconds(60), "relay ready; output:\n" + relay, () -> {
            if (!relay.process().isAlive()) {
                throw new AssertionError("relay exited: " + relay.output());
            }
            return relayNs.execAllowingFailure(Duration.ofSeconds(5), "curl", "-sf", "http://127.0.0.1:9090/readyz")
                    .output()
                    .contains("\"tunnel\":{\"status\":\"UP\"}");
        });
    }

    private static ExternalProcess.Result curlA(NetworkNamespace client) {
        return client.execAllowingFailure(
                Duration.ofSeconds(10),
                "curl",
                "-s",
                "-m",
                "3",
                "-H",
                "Host: a.example.test",
                "http://" + RELAY_CLIENT_SIDE + "/");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
