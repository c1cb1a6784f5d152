package co.airdress.relay.e2e;

import static co.airdress.relay.wireguard.WireGuardRelayFixture.A_ADDRESS;
import static co.airdress.relay.wireguard.WireGuardRelayFixture.B_ADDRESS;
import static co.airdress.relay.wireguard.WireGuardRelayFixture.RELAY_CLIENT_SIDE;
import static co.airdress.relay.wireguard.WireGuardRelayFixture.RELAY_CLIENT_SIDE6;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.OperatorServices;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.wireguard.WireGuardRelayFixture;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay daemon ({@code relay run} in a child JVM) in its own namespace with its WireGuard
 * interface; Debian's wireguard-go as operators A and B in theirs, dialing out to it (A over an
 * IPv4 underlay, B over an IPv6 one; both with IPv6 tunnel addresses); a client in a fourth,
 * reaching the relay over IPv4 and IPv6 (the listeners bind a specific address of each family, on
 * separate sockets). Through the relay and the tunnel: HTTP by Host, TLS by SNI (the client sees
 * the operator's certificate), over both client families, a 20 MB download intact while a reload
 * adds B, isolation between operators with forwarding on, and the fail-fast answer for an
 * operator that never connected.
 */
class WireGuardOperatorTest {

    private static final String C_ADDRESS = "fd00:a1d::c";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final int BIG_MB = 20;

    /**
     * GET over plain HTTP (argv: address, Host, path, output file): reads the headers and at least
     * 1 MiB of the body, prints HELD and stops reading until a line arrives on stdin, then reads
     * to the end; exits 0 only with exactly Content-Length bytes written.
     */
    private static final String HELD_DOWNLOAD = """
            import socket, sys
            addr, host, path, out = sys.argv[1:5]
            s = socket.create_connection((addr, 80), timeout=60)
            s.sendall(("GET %s HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" % (path, host)).encode())
            buf = b""
            while b"\\r\\n\\r\\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    sys.exit("closed inside the headers: %r" % buf)
                buf += chunk
            head, body = buf.split(b"\\r\\n\\r\\n", 1)
            lines = head.decode("latin-1").split("\\r\\n")
            if " 200 " not in lines[0] + " ":
                sys.exit("status: " + lines[0])
            length = next(int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:"))
            held = False
            with open(out, "wb") as f:
                f.write(body)
                got = len(body)
                while got < length:
                    if not held and got >= 1 << 20:
                        print("HELD", got, flush=True)
                        sys.stdin.readline()
                        held = True
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    f.write(chunk)
                    got += len(chunk)
            print("DONE", got, "of", length, flush=True)
            sys.exit(0 if got == length and held else 1)
            """;

    @TempDir
    Path dir;

    @Test
    void operatorsBehindWireGuardAreReachedByHostAndSniAndIsolated() throws Exception {
        try (WireGuardRelayFixture rig = WireGuardRelayFixture.create(dir, "wgrl")) {
            String ifName = rig.interfaceName("rwg");
            SecretFiles.write(dir.resolve("admin.token"), "wg-e2e-token\n");
            rig.writeConfig(
                    """
                    pop: wge2e
                    listen: { http: ["%s:80", "[%s]:80"], tls: ["%s:443", "[%s]:443"] }
                    management: { listen: "127.0.0.1:9090", token_file: admin.token }
                    timeouts: { connect: %ds }
                    drain: { delay: 100ms, timeout: 5s }
                    """.formatted(
                                    RELAY_CLIENT_SIDE,
                                    RELAY_CLIENT_SIDE6,
                                    RELAY_CLIENT_SIDE,
                                    RELAY_CLIENT_SIDE6,
                                    CONNECT_TIMEOUT.toSeconds()),
                    ifName,
                    WireGuardRelayFixture.RELAY_ADDRESSES);
            RelayTopology topology = rig.topology();
            NetworkNamespace relayNs = rig.relayNamespace();
            NetworkNamespace client = rig.client();
            relayNs.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
            WireGuardKey relayKey = rig.relayKey();

            // Each operator routes the whole tunnel prefix to the relay, so A *tries* to reach B through it.
            try (WireGuardGoPeer a = rig.startOperator(
                            topology.operatorA(),
                            "wga",
                            51821,
                            A_ADDRESS,
                            RelayTopology.RELAY_UNDERLAY_A + ":51820",
                            "fd00:a1d::/64",
                            "100.96.0.0/16");
                    WireGuardGoPeer b = rig.startOperator(
                            topology.operatorB(),
                            "wgb",
                            51822,
                            B_ADDRESS,
                            "[" + RelayTopology.RELAY_UNDERLAY_B6 + "]:51820",
                            "fd00:a1d::/64",
                            "100.96.0.0/16");
                    OperatorServices servicesA =
                            OperatorServices.start(topology.operatorA(), A_ADDRESS, "operator-a", BIG_MB);
                    OperatorServices servicesB =
                            OperatorServices.start(topology.operatorB(), B_ADDRESS, "operator-b", 1)) {
                String cKey = WireGuardRelayFixture.newPublicKey();
                // B comes later, by a reload; C never runs (no session, no endpoint).
                rig.writeOperators(operatorA(a), operatorC(cKey));

                try (ExternalProcess relay = rig.startRelay("relay-wg")) {
                    rig.awaitReady(relay);
                    rig.awaitHandshake(a, "A's handshake with the relay", Duration.ofSeconds(20));

                    // HTTP by Host through the relay and the tunnel (the operator's port 8080).
                    assertThat(curl(client, "-H", "Host: a.example.test", "http://" + RELAY_CLIENT_SIDE + "/")
                                    .output())
                            .isEqualTo("hello from operator operator-a\n");
                    // The same over IPv6, to the listener's IPv6-only socket.
                    assertThat(curl(client, "-g", "-H", "Host: a.example.test", "http://[" + RELAY_CLIENT_SIDE6 + "]/")
                                    .output())
                            .isEqualTo("hello from operator operator-a\n");

                    // Fail fast: C never connected, so no session and no endpoint: 502 at once.
                    long start = System.nanoTime();
                    ExternalProcess.Result c = curl(
                            client,
                            "-o",
                            "/dev/null",
                            "-w",
                            "%{http_code}",
                            "-H",
                            "Host: c.example.test",
                            "http://" + RELAY_CLIENT_SIDE + "/");
                    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                    assertThat(c.output()).isEqualTo("502");
                    assertThat(elapsed)
                            .as("answered well under the connect timeout")
                            .isLessThan(CONNECT_TIMEOUT.dividedBy(4));
                    ExternalProcess.Result cTls = client.execAllowingFailure(
                            Duration.ofSeconds(20),
                            "sh",
                            "-c",
                            "openssl s_client -servername c.example.test -connect " + RELAY_CLIENT_SIDE
                                    + ":443 </dev/null 2>&1");
                    assertThat(cTls.output()).containsIgnoringCase("alert internal error");

                    // A 20 MB download from A that the client holds open across a reload adding B: it
                    // reads part of the body, stops reading until told to go on, then reads the rest.
                    // Holding it is the client's choice, not a pace, so no machine is too slow for it.
                    Path download = dir.resolve("big.bin");
                    try (ExternalProcess streaming = client.start(
                            "download-a",
                            "python3",
                            "-c",
                            HELD_DOWNLOAD,
                            RELAY_CLIENT_SIDE,
                            "a.example.test",
                            "/big.bin",
                            download.toString())) {
                        streaming.awaitOutput("HELD", Duration.ofSeconds(20));
                        rig.writeOperators(operatorA(a), operatorB(b), operatorC(cKey));
                        rig.awaitHandshake(b, "B's handshake with the relay", Duration.ofSeconds(20));

                        // TLS by SNI to B: the client sees B's own certificate.
                        ExternalProcess.Result tls = client.execAllowingFailure(
                                Duration.ofSeconds(20),
                                "sh",
                                "-c",
                                "openssl s_client -servername b.example.test -connect " + RELAY_CLIENT_SIDE
                                        + ":443 </dev/null 2>&1");
                        assertThat(tls.output()).as(tls.output()).containsPattern("subject=\\s*CN\\s*=\\s*operator-b");
                        assertThat(tls.output()).contains("Verify return code: 18");
                        // The same over IPv6: client and underlay both IPv6, B's tunnel address too.
                        ExternalProcess.Result tls6 = client.execAllowingFailure(
                                Duration.ofSeconds(20),
                                "sh",
                                "-c",
                                "openssl s_client -servername b.example.test -connect [" + RELAY_CLIENT_SIDE6
                                        + "]:443 </dev/null 2>&1");
                        assertThat(tls6.output())
                                .as(tls6.output())
                                .containsPattern("subject=\\s*CN\\s*=\\s*operator-b");
                        assertThat(tls6.output()).contains("Verify return code: 18");
                        // curl by SNI over IPv6 (B's openssl s_server -www answers 200 with its status page).
                        assertThat(curl(
                                                client,
                                                "-g",
                                                "-k",
                                                "-o",
                                                "/dev/null",
                                                "-w",
                                                "%{http_code} %{remote_ip}",
                                                "--resolve",
                                                "b.example.test:443:[" + RELAY_CLIENT_SIDE6 + "]",
                                                "https://b.example.test/")
                                        .output())
                                .isEqualTo("200 " + RELAY_CLIENT_SIDE6);

                        assertThat(streaming.process().isAlive())
                                .as("A's download held open across the reload: %s", streaming)
                                .isTrue();
                        streaming.process().getOutputStream().write('\n');
                        streaming.process().getOutputStream().flush();
                        assertThat(streaming.process().waitFor(60, TimeUnit.SECONDS))
                                .as("download finished: %s", streaming)
                                .isTrue();
                        assertThat(streaming.process().exitValue())
                                .as(streaming.output())
                                .isZero();
                    }
                    assertThat(Files.size(download)).isEqualTo(BIG_MB * 1024L * 1024L);
                    assertThat(sha256(download)).isEqualTo(servicesA.bigFileSha256());

                    // Isolation: A cannot reach B's tunnel address through the relay, forwarding on.
                    ExternalProcess.Result toB = topology.operatorA()
                            .execAllowingFailure(
                                    Duration.ofSeconds(20),
                                    "curl",
                                    "-s",
                                    "-m",
                                    "3",
                                    "http://[" + B_ADDRESS + "]:" + OperatorServices.HTTP_PORT + "/");
                    assertThat(toB.exitCode()).as("A -> B: %s", toB.output()).isNotZero();
                    assertThat(toB.output()).doesNotContain("operator-b");
                    String peers = relayNs.exec(
                            "curl",
                            "-sf",
                            "-H",
                            "Authorization: Bearer wg-e2e-token",
                            "http://127.0.0.1:9090/v1/peers");
                    assertThat(peers).containsPattern("\"operator\":\"a\".*\"destination_not_allowed\":[1-9]");
                    String metrics = relayNs.exec("curl", "-sf", "http://127.0.0.1:9090/metrics");
                    assertThat(metrics)
                            .containsPattern(
                                    "relay_wireguard_peer_drops_total\\{[^}]*operator=\"a\"[^}]*reason=\"destination_not_allowed\"[^}]*} [1-9]");
                    assertThat(metrics)
                            .containsPattern("relay_wireguard_peer_rx_bytes_total\\{[^}]*operator=\"b\"[^}]*} [1-9]");
                    assertThat(metrics).containsPattern("relay_wireguard_unreachable_total\\{[^}]*} [1-9]");
                    // The device-wide drops, by reason, count the same drop.
                    assertThat(metrics)
                            .containsPattern(
                                    "relay_wireguard_drops_total\\{[^}]*reason=\"destination_not_allowed\"[^}]*} [1-9]");
                    // C never handshook: the tunnel holds no peer for it, so it has no meters.
                    Pattern cMeters = Pattern.compile("relay_wireguard_peer_\\w+\\{[^}]*operator=\"c\"");
                    assertThat(metrics).doesNotContainPattern(cMeters);
                    assertThat(metrics).containsPattern("relay_wireguard_peers_active\\{[^}]*} 2");

                    // `wg show` reads the relay's read-only UAPI socket.
                    String show = relayNs.exec("wg", "show", ifName);
                    assertThat(show)
                            .contains("peer: " + a.publicKey())
                            .contains("peer: " + b.publicKey())
                            .contains("allowed ips: fd00:a1d::a/128")
                            .contains("endpoint: [" + RelayTopology.OPERATOR_B_UNDERLAY6 + "]:51822")
                            .contains("latest handshake:")
                            .doesNotContain(relayKey.toBase64());

                    // A removed operator's live peer and its meters go with it; the others stay.
                    Pattern bMeters = Pattern.compile("relay_wireguard_peer_\\w+\\{[^}]*operator=\"b\"");
                    rig.writeOperators(operatorA(a), operatorC(cKey));
                    Await.until(
                            Duration.ofSeconds(20),
                            "B's tunnel meters removed",
                            () -> !bMeters.matcher(relayNs.exec("curl", "-sf", "http://127.0.0.1:9090/metrics"))
                                    .find());
                    assertThat(relayNs.exec("curl", "-sf", "http://127.0.0.1:9090/metrics"))
                            .containsPattern("relay_wireguard_peer_rx_bytes_total\\{[^}]*operator=\"a\"[^}]*} [1-9]");
                    assertThat(relayNs.exec("wg", "show", ifName))
                            .contains("peer: " + a.publicKey())
                            .doesNotContain("peer: " + b.publicKey());

                    // Shutdown leaves no interface (and no UAPI socket) behind.
                    ExternalProcess.run(Duration.ofSeconds(10), "kill", "-TERM", Long.toString(relay.pid()));
                    assertThat(relay.process().waitFor(30, TimeUnit.SECONDS))
                            .as(relay.output())
                            .isTrue();
                    assertThat(relay.process().exitValue()).as(relay.output()).isZero();
                    assertThat(relayNs.execAllowingFailure(Duration.ofSeconds(10), "ip", "link", "show", ifName)
                                    .exitCode())
                            .isNotZero();
                    assertThat(relay.output()).doesNotContain(relayKey.toBase64());
                    assertThat(Path.of("/var/run/wireguard/" + ifName + ".sock"))
                            .doesNotExist();
                }
            }
        }
    }

    private static ExternalProcess.Result curl(NetworkNamespace client, String... args) {
        return Curl.in(client, Duration.ofSeconds(20), args);
    }

    private static String operatorA(WireGuardGoPeer a) {
        return WireGuardRelayFixture.operatorEntry(
                "a", a.publicKey(), A_ADDRESS, OperatorServices.HTTP_PORT, OperatorServices.HTTPS_PORT);
    }

    private static String operatorB(WireGuardGoPeer b) {
        return WireGuardRelayFixture.operatorEntry(
                "b", b.publicKey(), B_ADDRESS, OperatorServices.HTTP_PORT, OperatorServices.HTTPS_PORT);
    }

    private static String operatorC(String key) {
        return WireGuardRelayFixture.operatorEntry("c", key, C_ADDRESS, null, null);
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
