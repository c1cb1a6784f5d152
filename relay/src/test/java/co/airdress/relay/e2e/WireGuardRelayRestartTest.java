package co.airdress.relay.e2e;

import static co.airdress.relay.wireguard.WireGuardRelayFixture.A_ADDRESS;
import static co.airdress.relay.wireguard.WireGuardRelayFixture.RELAY_CLIENT_SIDE;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.wireguard.WireGuardRelayFixture;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @TempDir
    Path dir;

    @Test
    void operatorIsReachableSoonAfterTheRelayIsKilledAndRestarted() throws Exception {
        try (WireGuardRelayFixture rig = WireGuardRelayFixture.create(dir, "wgrr")) {
            String ifName = rig.interfaceName("rwr");
            rig.writeConfig("""
                    pop: wgrestart
                    listen: { http: "%s:80" }
                    management: { listen: "127.0.0.1:9090" }
                    timeouts: { connect: 5s }
                    drain: { delay: 100ms, timeout: 5s }
                    """.formatted(RELAY_CLIENT_SIDE), ifName, List.of("fd00:a1d::1/64"));
            RelayTopology topology = rig.topology();
            NetworkNamespace client = rig.client();
            String relayPublic = rig.relayPublicKey();

            try (WireGuardGoPeer a = rig.startOperator(
                            topology.operatorA(),
                            "wra",
                            51821,
                            A_ADDRESS,
                            RelayTopology.RELAY_UNDERLAY_A + ":51820",
                            "fd00:a1d::1/128");
                    OperatorServices services =
                            OperatorServices.start(topology.operatorA(), A_ADDRESS, "operator-a", 1)) {
                rig.writeOperators(WireGuardRelayFixture.operatorEntry(
                        "a", a.publicKey(), A_ADDRESS, OperatorServices.HTTP_PORT, null));
                Path endpoints = dir.resolve(ifName + ".endpoints");

                try (ExternalProcess first = rig.startRelay("relay-first")) {
                    rig.awaitReady(first);
                    rig.awaitHandshake(a, "A's handshake with the relay", Duration.ofSeconds(20));
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

                try (ExternalProcess second = rig.startRelay("relay-second")) {
                    rig.awaitReady(second);
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
