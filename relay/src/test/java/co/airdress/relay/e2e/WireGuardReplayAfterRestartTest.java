package co.airdress.relay.e2e;

import static co.airdress.relay.wireguard.WireGuardRelayFixture.RELAY_CLIENT_SIDE;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.noise.LocalIdentity;
import co.airdress.relay.tunnel.noise.Tai64n;
import co.airdress.relay.wireguard.WireGuardRelayFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An initiation captured on the wire before the relay restarts is still a replay after it: the
 * relay ({@code relay run}, killed with SIGKILL and started again) restores the latest TAI64N
 * timestamp it accepted from each operator from {@code wireguard.state_file}, refuses the replayed
 * initiation (drop reason {@code handshake_replayed}) and keeps the operator's endpoint, where
 * before it accepted it and moved the endpoint to the attacker. The initiator is our own (the
 * tunnel's handshake code), its datagrams sent from the operators' namespaces by Python.
 */
class WireGuardReplayAfterRestartTest {

    private static final String C_ADDRESS = "fd00:a1d::c";
    /** Sends a hex datagram from a fixed port and prints the reply's hex, or "none". */
    private static final String SEND = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", int(sys.argv[3])))
            s.settimeout(float(sys.argv[4]))
            s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], 51820))
            try:
                print(s.recv(2048).hex())
            except socket.timeout:
                print("none")
            """;

    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @Test
    void anInitiationCapturedBeforeARestartIsRefusedAfterItAndTheEndpointStays() throws Exception {
        try (WireGuardRelayFixture rig = WireGuardRelayFixture.create(dir, "wgrp")) {
            String ifName = rig.interfaceName("rwp");
            rig.writeConfig("""
                    pop: wgreplay
                    listen: { http: "%s:80" }
                    management: { listen: "127.0.0.1:9090" }
                    drain: { delay: 100ms, timeout: 5s }
                    """.formatted(RELAY_CLIENT_SIDE), ifName, List.of("fd00:a1d::1/64"));
            RelayTopology topology = rig.topology();
            WireGuardKey cPrivate = WireGuardKeys.generatePrivateKey(random);
            String cPublic = WireGuardKeys.publicKey(cPrivate).toBase64();
            rig.writeOperators(WireGuardRelayFixture.operatorEntry("c", cPublic, C_ADDRESS, null, null));
            byte[] relayPublic = WireGuardKeys.publicKey(rig.relayKey()).bytes();
            Handshake handshake = new Handshake(new LocalIdentity(cPrivate.bytes()), relayPublic, null);
            CookieGenerator macs =
                    new CookieGenerator(relayPublic, Duration.ofMinutes(2).toNanos());
            Path state = dir.resolve(ifName + ".endpoints");
            String cAtA = RelayTopology.OPERATOR_A_UNDERLAY + ":40001";

            byte[] captured = initiation(handshake, macs, Instant.now());
            try (ExternalProcess first = rig.startRelay("relay-first")) {
                rig.awaitReady(first);
                String reply = send(topology.operatorA(), captured, RelayTopology.RELAY_UNDERLAY_A, 40001);
                assertThat(reply).as("the relay's response to C's initiation").startsWith("02000000");
                assertThat(endpointOfC(rig)).isEqualTo(cAtA);
                // The state file keeps the endpoint and the timestamp of the accepted initiation.
                Pattern saved = Pattern.compile(Pattern.quote(cPublic + " " + cAtA + " ") + "[0-9a-f]{24}\n");
                Await.until(
                        Duration.ofSeconds(10),
                        "C's endpoint and latest initiation saved in " + state,
                        () -> saved.matcher(read(state)).find());
                ExternalProcess.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(first.pid()));
                assertThat(first.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
            }

            try (ExternalProcess second = rig.startRelay("relay-second")) {
                rig.awaitReady(second);
                assertThat(endpointOfC(rig)).as("C's endpoint remembered").isEqualTo(cAtA);

                // The captured initiation, replayed from B's namespace: refused, no response.
                String reply = send(topology.operatorB(), captured, RelayTopology.RELAY_UNDERLAY_B, 40002);
                assertThat(reply).as("an answer to the replay").isEqualTo("none");
                Await.until(
                        Duration.ofSeconds(10),
                        "the replay counted as handshake_replayed",
                        () -> metrics(rig)
                                .matches("(?s).*relay_wireguard_peer_drops_total\\{[^}]*operator=\"c\"[^}]*"
                                        + "reason=\"handshake_replayed\"[^}]*} 1\\.0.*"));
                assertThat(endpointOfC(rig))
                        .as("C's endpoint did not move to the replayer")
                        .isEqualTo(cAtA);

                // A new initiation from C, wherever it comes from, is accepted as ever.
                String fresh = send(
                        topology.operatorB(),
                        initiation(handshake, macs, Instant.now().plusSeconds(1)),
                        RelayTopology.RELAY_UNDERLAY_B,
                        40002);
                assertThat(fresh).startsWith("02000000");
                assertThat(endpointOfC(rig)).isEqualTo(RelayTopology.OPERATOR_B_UNDERLAY + ":40002");

                ExternalProcess.run(Duration.ofSeconds(10), "kill", "-TERM", Long.toString(second.pid()));
                assertThat(second.process().waitFor(30, TimeUnit.SECONDS))
                        .as(second.output())
                        .isTrue();
            }
        }
    }

    /** An initiation from C with timestamp {@code at}, MAC1 added. */
    private byte[] initiation(Handshake handshake, CookieGenerator macs, Instant at) {
        byte[] msg = handshake.createInitiation(random.nextInt(), Tai64n.of(at), random);
        assertThat(msg).isNotNull();
        macs.addMacs(msg, System.nanoTime());
        return msg;
    }

    private static String send(NetworkNamespace from, byte[] datagram, String relay, int sourcePort) {
        return from.exec(
                        "python3",
                        "-c",
                        SEND,
                        HexFormat.of().formatHex(datagram),
                        relay,
                        Integer.toString(sourcePort),
                        "3")
                .strip();
    }

    private static String endpointOfC(WireGuardRelayFixture rig) {
        String peers = rig.relayNamespace().exec("curl", "-sf", "http://127.0.0.1:9090/v1/peers");
        var m = Pattern.compile("\"operator\":\"c\"[^}]*?\"endpoint\":(null|\"([^\"]*)\")")
                .matcher(peers);
        assertThat(m.find()).as(peers).isTrue();
        return m.group(2) == null ? "null" : m.group(2);
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (java.io.IOException e) {
            return ""; // not written yet
        }
    }

    private static String metrics(WireGuardRelayFixture rig) {
        return rig.relayNamespace().exec("curl", "-sf", "http://127.0.0.1:9090/metrics");
    }
}
