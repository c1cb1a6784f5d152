package co.airdress.relay.tunnel.device;

import static co.airdress.relay.testing.RelayTopology.OPERATOR_B_UNDERLAY;
import static co.airdress.relay.testing.RelayTopology.RELAY_UNDERLAY_A;
import static co.airdress.relay.testing.RelayTopology.RELAY_UNDERLAY_B;
import static co.airdress.relay.tunnel.device.JavaRelayInteropTest.curl;
import static co.airdress.relay.tunnel.device.JavaRelayInteropTest.operator;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.Drop;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.netns.JavaRelay;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Protocol behaviour of the Java tunnel seen from outside, against wireguard-go operators in
 * namespaces: isolation between operators, roaming, loss, rekey, replay, unknown keys, floods.
 */
class JavaRelayProtocolTest {

    static final String A4 = "100.96.0.2";
    static final String B4 = "100.96.0.3";
    final long id = ProcessHandle.current().pid() % 100000;

    @BeforeAll
    static void prerequisites() {
        Prerequisites.networkNamespaces();
        for (String tool :
                new String[] {"wireguard-go", "wg", "curl", "openssl", "python3", "ss", "sha256sum", "nft", "sysctl"}) {
            Prerequisites.tool(tool);
        }
    }

    static long drops(JavaRelay relay, Drop reason) {
        return relay.device().deviceStats().drops().getOrDefault(reason, 0L);
    }

    @Test
    void operatorACannotReachOperatorBThroughTheRelayEvenWithForwardingOn() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgiso");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                WireGuardGoPeer b = WireGuardGoPeer.start(topology.operatorB(), "wgb" + id, 51820, 1420, B4 + "/16");
                OperatorServices servicesB = OperatorServices.start(topology.operatorB(), B4, "b", 1);
                JavaRelay relay = JavaRelay.start(
                        topology.relay(),
                        WireGuardDevice.Options.STANDARD,
                        List.of(operator(a, A4), operator(b, B4)))) {
            topology.relay().exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
            topology.relay().exec("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
            // Both operators route the whole tunnel prefix to the relay, as a hostile one would.
            a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 25, "100.96.0.0/16", "fd00:a1d::/64");
            b.setPeer(relay.publicKey(), RELAY_UNDERLAY_B + ":51820", 25, "100.96.0.0/16", "fd00:a1d::/64");
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            WireGuardKey bKey = WireGuardKey.fromBase64(b.publicKey());
            Await.until(
                    Duration.ofSeconds(15),
                    "both handshakes",
                    () -> relay.device().hasLiveSession(aKey) && relay.device().hasLiveSession(bKey));
            assertThat(curl(topology.relay(), "http://" + B4 + ":8080/index.html", 20))
                    .isEqualTo("hello from operator b\n");

            ExternalProcess.Result attempt = topology.operatorA()
                    .execAllowingFailure(
                            Duration.ofSeconds(20),
                            "curl",
                            "-sS",
                            "--max-time",
                            "3",
                            "http://" + B4 + ":8080/index.html");
            assertThat(attempt.exitCode()).as(attempt.output()).isNotZero();
            assertThat(attempt.output()).doesNotContain("hello from operator b");
            assertThat(drops(relay, Drop.DESTINATION_NOT_ALLOWED)).isPositive();
        }
    }

    @Test
    void reloadAddsAndRemovesOperatorsWithoutDisturbingTheOthers() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgreload");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                WireGuardGoPeer b = WireGuardGoPeer.start(topology.operatorB(), "wgb" + id, 51820, 1420, B4 + "/16");
                OperatorServices servicesA = OperatorServices.start(topology.operatorA(), A4, "a", 1);
                OperatorServices servicesB = OperatorServices.start(topology.operatorB(), B4, "b", 1);
                JavaRelay relay =
                        JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(operator(a, A4)))) {
            a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 25, "100.96.0.0/16");
            b.setPeer(relay.publicKey(), null, 0, "100.96.0.0/16");
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            WireGuardKey bKey = WireGuardKey.fromBase64(b.publicKey());
            Await.until(
                    Duration.ofSeconds(15),
                    "handshake with A",
                    () -> relay.device().hasLiveSession(aKey));
            long aHandshakes =
                    Objects.requireNonNull(relay.device().stats(aKey)).handshakes();

            PeerConfig peerB = operator(b, B4).withEndpoint(new InetSocketAddress(OPERATOR_B_UNDERLAY, 51820));
            relay.applyPeers(List.of(operator(a, A4), peerB));
            assertThat(curl(topology.relay(), "http://" + B4 + ":8080/index.html", 20))
                    .isEqualTo("hello from operator b\n");
            assertThat(curl(topology.relay(), "http://" + A4 + ":8080/index.html", 20))
                    .isEqualTo("hello from operator a\n");
            assertThat(Objects.requireNonNull(relay.device().stats(aKey)).handshakes())
                    .as("A untouched")
                    .isEqualTo(aHandshakes);

            relay.applyPeers(List.of(peerB));
            assertThat(relay.device().stats()).extracting(PeerStats::publicKey).containsExactly(bKey);
            assertThat(relay.device().isReachable(aKey)).isFalse();
            assertThat(curl(topology.relay(), "http://" + B4 + ":8080/index.html", 20))
                    .isEqualTo("hello from operator b\n");
        }
    }

    @Test
    void operatorRoamsToANewSourcePortMidTransfer() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgroam");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                OperatorServices services = OperatorServices.start(topology.operatorA(), A4, "a", 8);
                JavaRelay relay =
                        JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(operator(a, A4)))) {
            a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 1, "100.96.0.0/16");
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            Await.until(
                    Duration.ofSeconds(15), "handshake", () -> relay.device().hasLiveSession(aKey));

            // ~4 s at 2 MB/s: the port changes while the download runs.
            try (ExternalProcess download = topology.relay()
                    .start(
                            "download",
                            "sh",
                            "-c",
                            "curl -sS --max-time 60 --limit-rate 2M http://" + A4 + ":8080/big.bin | sha256sum")) {
                Await.until(
                        Duration.ofSeconds(10),
                        "transfer under way",
                        () -> Objects.requireNonNull(relay.device().stats(aKey)).rxBytes() > (1 << 20));
                topology.operatorA().exec("wg", "set", a.interfaceName(), "listen-port", "51999");
                Await.until(
                        Duration.ofSeconds(60),
                        "download finished",
                        () -> !download.process().isAlive());
                assertThat(download.output()).startsWith(services.bigFileSha256());
            }
            PeerStats stats = relay.device().stats(aKey);
            assertThat(stats).isNotNull();
            assertThat(stats.endpoint()).isEqualTo(new InetSocketAddress(RelayTopology.OPERATOR_A_UNDERLAY, 51999));
        }
    }

    @Test
    void transferCompletesUnderFivePercentPacketLoss() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgloss");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                OperatorServices services = OperatorServices.start(topology.operatorA(), A4, "a", 10);
                JavaRelay relay =
                        JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(operator(a, A4)))) {
            a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 25, "100.96.0.0/16");
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            Await.until(
                    Duration.ofSeconds(15), "handshake", () -> relay.device().hasLiveSession(aKey));

            String veth = topology.relayVethA();
            java.nio.file.Path rules = java.nio.file.Files.createTempFile("airdress-loss", ".nft");
            try {
                java.nio.file.Files.writeString(rules, """
                        table inet loss {
                          chain in {
                            type filter hook input priority 0;
                            iifname "%1$s" udp dport 51820 numgen random mod 20 == 0 counter drop
                          }
                          chain out {
                            type filter hook output priority 0;
                            oifname "%1$s" udp sport 51820 numgen random mod 20 == 0 counter drop
                          }
                        }
                        """.formatted(veth));
                topology.relay().exec("nft", "-f", rules.toString());
            } finally {
                java.nio.file.Files.deleteIfExists(rules);
            }
            String sum = topology.relay()
                    .exec("sh", "-c", "curl -sS --max-time 90 http://" + A4 + ":8080/big.bin | sha256sum");
            assertThat(sum).startsWith(services.bigFileSha256());
            String counters = topology.relay().exec("nft", "list", "table", "inet", "loss");
            assertThat(counters).containsPattern("counter packets [1-9][0-9]* bytes [0-9]+ drop");
        }
    }

    @Test
    void rekeysWithShortenedTimersWithoutInterruptingTraffic() throws Exception {
        ProtocolTimers shortTimers =
                ProtocolTimers.STANDARD.withRekeyTimes(Duration.ofSeconds(2), Duration.ofSeconds(30));
        try (RelayTopology topology = RelayTopology.create("jwgrekey");
                WireGuardGoPeer b = WireGuardGoPeer.start(topology.operatorB(), "wgb" + id, 51820, 1420, B4 + "/16");
                OperatorServices services = OperatorServices.start(topology.operatorB(), B4, "b", 1)) {
            PeerConfig peerB = operator(b, B4).withEndpoint(new InetSocketAddress(OPERATOR_B_UNDERLAY, 51820));
            try (JavaRelay relay =
                    JavaRelay.start(topology.relay(), new WireGuardDevice.Options(shortTimers, 256), List.of(peerB))) {
                b.setPeer(relay.publicKey(), null, 0, "100.96.0.0/16");
                WireGuardKey bKey = WireGuardKey.fromBase64(b.publicKey());
                int requests = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (Objects.requireNonNull(relay.device().stats(bKey)).handshakes() < 3
                        && System.nanoTime() < deadline) {
                    assertThat(curl(topology.relay(), "http://" + B4 + ":8080/index.html", 10))
                            .as("request " + requests)
                            .isEqualTo("hello from operator b\n");
                    requests++;
                }
                assertThat(Objects.requireNonNull(relay.device().stats(bKey)).handshakes())
                        .isGreaterThanOrEqualTo(3);
                assertThat(requests).isGreaterThan(1);
            }
        }
    }

    @Test
    void replayedTransportPacketsAreDropped() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgreplay");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                OperatorServices services = OperatorServices.start(topology.operatorA(), A4, "a", 1);
                JavaRelay relay =
                        JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(operator(a, A4)))) {
            a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 1, "100.96.0.0/16");
            WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
            Await.until(
                    Duration.ofSeconds(15), "handshake", () -> relay.device().hasLiveSession(aKey));
            long before = drops(relay, Drop.REPLAYED);

            // Captures the operator's next transport message on the wire and sends the same frame 3 more times.
            String out = topology.operatorA().exec("python3", "-c", PY_REPLAY, "ova" + id, "51820");
            assertThat(out).contains("replayed 3");
            Await.until(Duration.ofSeconds(5), "3 replays dropped", () -> drops(relay, Drop.REPLAYED) >= before + 3);
            assertThat(curl(topology.relay(), "http://" + A4 + ":8080/index.html", 10))
                    .isEqualTo("hello from operator a\n");
        }
    }

    @Test
    void anOperatorWithAnUnknownKeyGetsNoHandshake() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgkey");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                WireGuardGoPeer stranger =
                        WireGuardGoPeer.start(topology.operatorB(), "wgx" + id, 51820, 1420, B4 + "/16");
                JavaRelay relay =
                        JavaRelay.start(topology.relay(), WireGuardDevice.Options.STANDARD, List.of(operator(a, A4)))) {
            stranger.setPeer(relay.publicKey(), RELAY_UNDERLAY_B + ":51820", 1, "100.96.0.0/16");
            Await.until(
                    Duration.ofSeconds(20), "two initiations refused", () -> drops(relay, Drop.HANDSHAKE_INVALID) >= 2);
            assertThat(stranger.latestHandshake(relay.publicKey())).isZero();
            assertThat(relay.device().stats())
                    .extracting(PeerStats::publicKey)
                    .containsExactly(WireGuardKey.fromBase64(a.publicKey()));
        }
    }

    @Test
    void underAHandshakeFloodTheRelayAnswersCookiesAndALegitimateOperatorStillConnects() throws Exception {
        try (RelayTopology topology = RelayTopology.create("jwgflood");
                WireGuardGoPeer a = WireGuardGoPeer.start(topology.operatorA(), "wga" + id, 51820, 1420, A4 + "/16");
                OperatorServices services = OperatorServices.start(topology.operatorA(), A4, "a", 1);
                JavaRelay relay = JavaRelay.start(
                        topology.relay(),
                        new WireGuardDevice.Options(ProtocolTimers.STANDARD, 20),
                        List.of(operator(a, A4)))) {
            try (ExternalProcess flood = topology.operatorB()
                    .start("flood", "python3", "-c", PY_FLOOD, RELAY_UNDERLAY_B, "51820", relay.publicKey(), "60")) {
                Await.until(Duration.ofSeconds(10), "relay under load", () -> drops(relay, Drop.COOKIE_REQUIRED) > 0);
                a.setPeer(relay.publicKey(), RELAY_UNDERLAY_A + ":51820", 1, "100.96.0.0/16");
                WireGuardKey aKey = WireGuardKey.fromBase64(a.publicKey());
                Await.until(
                        Duration.ofSeconds(20),
                        "operator handshake despite the flood",
                        () -> relay.device().hasLiveSession(aKey) || failFast(relay, flood));
                assertThat(flood.process().isAlive())
                        .as("flood still running: %s", flood.output())
                        .isTrue();
                assertThat(curl(topology.relay(), "http://" + A4 + ":8080/index.html", 10))
                        .isEqualTo("hello from operator a\n");
                assertThat(flood.output()).containsPattern("cookie replies: [1-9]");
            }
        }
    }

    private static boolean failFast(JavaRelay relay, ExternalProcess flood) {
        if (!flood.process().isAlive()) {
            throw new AssertionError(
                    "flooder stopped: " + flood.output() + "; " + relay.device().deviceStats());
        }
        return false;
    }

    /** Sniffs one outgoing WireGuard transport frame (type 4) on an interface and sends it 3 more times. */
    private static final String PY_REPLAY = """
            import socket, struct, sys
            ifname, port = sys.argv[1], int(sys.argv[2])
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            s.bind((ifname, 0))
            s.settimeout(10)
            while True:
                frame, addr = s.recvfrom(65535)
                if addr[2] != socket.PACKET_OUTGOING or frame[12:14] != b"\\x08\\x00" or frame[23] != 17:
                    continue
                ihl = (frame[14] & 0x0f) * 4
                udp = 14 + ihl
                dport = struct.unpack("!H", frame[udp + 2:udp + 4])[0]
                if dport == port and frame[udp + 8] == 4:
                    break
            # The kernel left the UDP checksum to offload; 0 means "none" in IPv4.
            frame = frame[:udp + 6] + b"\\x00\\x00" + frame[udp + 8:]
            for _ in range(3):
                s.send(frame)
            print("replayed 3")
            """;

    /**
     * Sends initiations with a valid MAC1 (keyed BLAKE2s over the message, key = BLAKE2s("mac1----" ||
     * responder public key)) and junk inside, ~1000 per second (25x the cookie threshold the test sets;
     * a flood beyond what a core can even read is a volumetric attack, not this test), counting
     * cookie replies.
     */
    private static final String PY_FLOOD = """
            import base64, hashlib, os, socket, struct, sys, time
            host, port, pub, seconds = sys.argv[1], int(sys.argv[2]), base64.b64decode(sys.argv[3]), float(sys.argv[4])
            key = hashlib.blake2s(b"mac1----" + pub).digest()
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            end = time.time() + seconds
            sent = cookies = 0
            while time.time() < end:
                body = struct.pack("<II", 1, sent) + os.urandom(108)
                s.sendto(body + hashlib.blake2s(body, digest_size=16, key=key).digest() + bytes(16), (host, port))
                sent += 1
                try:
                    while True:
                        data = s.recv(2048)
                        if len(data) == 64 and data[0] == 3:
                            cookies += 1
                except BlockingIOError:
                    pass
                if sent % 10 == 0:
                    time.sleep(0.01)
                if sent % 2000 == 0:
                    print("sent:", sent, "cookie replies:", cookies, flush=True)
            """;
}
