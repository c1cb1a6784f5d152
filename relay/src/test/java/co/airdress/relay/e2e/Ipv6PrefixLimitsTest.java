package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayCommandLine;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One IPv6 /64 is one source, through the relay's real listeners and its real WireGuard socket
 * ({@code relay run} in a network namespace where a local route and {@code ip_nonlocal_bind} let a
 * client use any address of a /64, as any IPv6 host can):
 *
 * <ul>
 *   <li>connections from ten addresses of one /64 meet {@code max_connections_per_ip} and
 *       {@code max_peeking_per_ip} as if from one address, while another /64 is unaffected;
 *   <li>65,536 addresses of one /64, each with a valid cookie, share one handshake bucket: their
 *       initiations are rate-limited before any Diffie-Hellman, and our own initiator, configured
 *       as an operator and sending from another prefix, completes its handshake meanwhile.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ipv6PrefixLimitsTest {

    private static final String HOLDER = """
            import socket, sys
            srv = socket.socket(socket.AF_INET6)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("::1", 9000))
            srv.listen(128)
            print("listening", flush=True)
            held = []
            while True:
                held.append(srv.accept()[0])
            """;
    /**
     * Opens n connections from prefix::first.. on, sends the request if any, holds them until stdin
     * closes.
     */
    private static final String CLIENTS = """
            import socket, sys
            dst, port, prefix, first, n, request = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
            held = []
            for i in range(n):
                s = socket.socket(socket.AF_INET6)
                s.bind((prefix + format(first + i, "x"), 0))
                s.connect((dst, port))
                if request:
                    s.sendall(request.encode())
                held.append(s)
            print("opened", n, flush=True)
            sys.stdin.read()
            """;

    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: hold.example.test\r\n\r\n";

    @TempDir
    static Path dir;

    private NetworkNamespace ns;
    private final List<ExternalProcess> processes = new ArrayList<>();
    private final WireGuardKey relayKey = WireGuardKeys.generatePrivateKey(new SecureRandom());
    private final WireGuardKey legitKey = WireGuardKeys.generatePrivateKey(new SecureRandom());

    @BeforeAll
    void start() throws Exception {
        Prerequisites.networkNamespaces();
        Prerequisites.tool("python3");
        Prerequisites.tool("curl");
        ns = NetworkNamespace.create("v6lim");
        // Every address of these prefixes is local, and sockets may bind them: an IPv6 host's /64s.
        ns.exec("ip", "-6", "route", "add", "local", "2001:db8:a77::/48", "dev", "lo");
        ns.exec("ip", "-6", "route", "add", "local", "2001:db8:b0b::/48", "dev", "lo");
        ns.exec("sysctl", "-qw", "net.ipv6.ip_nonlocal_bind=1");
        ExternalProcess holder = ns.start("holder", "python3", "-c", HOLDER);
        processes.add(holder);
        holder.awaitOutput("listening", Duration.ofSeconds(20));

        SecretFiles.write(dir.resolve("wg.key"), relayKey.toBase64() + "\n");
        Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - { name: hold, hosts: [hold.example.test], upstream: { http: "[::1]:9000" } }
                  - { name: legit, hosts: [legit.example.test], wireguard: { public_key: "%s", address: "fd00:a1d::b0b" } }
                """.formatted(
                        WireGuardKeys.publicKey(legitKey).toBase64()));
        Files.writeString(
                dir.resolve("relay.yaml"), """
                pop: v6lim
                listen: { http: "[::]:8080", tls: "[::]:8443" }
                management: { listen: "127.0.0.1:9090" }
                limits: { max_connections_per_ip: 6, max_peeking_per_ip: 4 }
                upstreams: { allow_loopback: true }
                timeouts: { peek: 2m }
                drain: { delay: 100ms, timeout: 5s }
                wireguard:
                  interface: v6l%d
                  private_key_file: wg.key
                  listen_port: 51820
                  addresses: ["fd00:a1d::1/64"]
                """.formatted(ProcessHandle.current().pid() % 100000));
        ExternalProcess relay = ns.start(
                "relay", RelayCommandLine.run(dir.resolve("relay.yaml")).toArray(String[]::new));
        processes.add(relay);
        Await.until(Duration.ofSeconds(60), "relay ready; output:\n" + relay, () -> {
            if (!relay.process().isAlive()) {
                throw new AssertionError("relay exited: " + relay.output());
            }
            return ns.execAllowingFailure(Duration.ofSeconds(5), "curl", "-sf", "http://127.0.0.1:9090/readyz")
                    .output()
                    .contains("\"tunnel\":{\"status\":\"UP\"}");
        });
    }

    @AfterAll
    void stop() {
        for (ExternalProcess p : processes) {
            p.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    private ExternalProcess clients(String name, int port, String prefix, int first, int n, String request) {
        ExternalProcess p = ns.start(
                name, "python3", "-c", CLIENTS, "::1", Integer.toString(port), prefix, "" + first, "" + n, request);
        processes.add(p);
        p.awaitOutput("opened " + n, Duration.ofSeconds(30));
        return p;
    }

    private double metric(String name, String... labels) {
        String text = ns.exec("curl", "-sf", "http://127.0.0.1:9090/metrics");
        StringBuilder re = new StringBuilder(Pattern.quote(name) + "\\{");
        for (int i = 0; i < labels.length; i += 2) {
            re.append("(?=[^}]*")
                    .append(labels[i])
                    .append("=\"")
                    .append(labels[i + 1])
                    .append("\")");
        }
        re.append("[^}]*} ([0-9.eE+]+)");
        Matcher m = Pattern.compile(re.toString()).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private double overLimit(String listener) {
        return metric("relay_connections_closed_total", "listener", listener, "outcome", "over_limit");
    }

    private double active(String listener) {
        return metric("relay_connections_active", "listener", listener);
    }

    private void await(String what, java.util.function.BooleanSupplier condition) {
        try {
            Await.until(Duration.ofSeconds(30), what, condition::getAsBoolean);
        } catch (AssertionError e) {
            String relay = ns.exec("curl", "-sf", "http://127.0.0.1:9090/metrics")
                    .lines()
                    .filter(l -> l.startsWith("relay_connections") || l.startsWith("relay_operator"))
                    .collect(java.util.stream.Collectors.joining("\n"));
            throw new AssertionError(e.getMessage() + "; the relay's connection meters:\n" + relay, e);
        }
    }

    @Test
    void tenAddressesOfOneSlash64MeetTheConnectionLimitsAsOneSource() {
        // Relayed connections (no longer peeking) from ten addresses of one /64, opened three at a
        // time (under max_peeking_per_ip): six is the limit of open connections per source.
        double httpBefore = overLimit("http");
        clients("relayed-1", 8080, "2001:db8:a77:1::", 1, 3, REQUEST);
        await("three relayed", () -> metric("relay_operator_active_connections", "operator", "hold") == 3);
        clients("relayed-2", 8080, "2001:db8:a77:1::", 4, 3, REQUEST);
        await("six relayed", () -> metric("relay_operator_active_connections", "operator", "hold") == 6);
        clients("relayed-3", 8080, "2001:db8:a77:1::", 7, 4, REQUEST);
        await(
                "the next four refused over max_connections_per_ip",
                () -> overLimit("http") == httpBefore + 4
                        && active("http") == 6
                        && metric("relay_operator_active_connections", "operator", "hold") == 6);

        // The /64 is at its limit: another address of it is refused too, even on the other listener.
        double tlsBefore = overLimit("tls");
        clients("eleventh", 8443, "2001:db8:a77:1:ffff::", 1, 1, "");
        await("another address of the /64 refused", () -> overLimit("tls") == tlsBefore + 1);

        // Ten silent connections (still peeking) from another /64: four may peek at once.
        clients("peeking", 8443, "2001:db8:a77:2::", 1, 10, "");
        await(
                "six refused over max_peeking_per_ip, four peeking",
                () -> overLimit("tls") == tlsBefore + 7 && active("tls") == 4);

        // A third /64 is a source of its own.
        clients("other", 8443, "2001:db8:a77:3::", 1, 1, "");
        await("another /64 admitted", () -> active("tls") == 5);
        assertThat(overLimit("tls")).isEqualTo(tlsBefore + 7);
    }

    @Test
    void sixtyFiveThousandAddressesOfOneSlash64DoNotStarveANewSourcesHandshake() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ExternalProcess.Result run = ns.execAllowingFailure(
                Duration.ofMinutes(5),
                java,
                "-cp",
                System.getProperty("java.class.path"),
                HandshakeSprayMain.class.getName(),
                "::1",
                "51820",
                WireGuardKeys.publicKey(relayKey).toBase64(),
                "2001:db8:a77:1::",
                "65536",
                "2001:db8:a77:ffff::1",
                legitKey.toBase64(),
                "2001:db8:b0b:1::1",
                "http://127.0.0.1:9090/metrics");
        System.out.println("spray: " + run.output());
        assertThat(run.exitCode()).as(run.output()).isZero();
        Matcher m = Pattern.compile(
                        "cookies=(\\d+) sent=(\\d+) seconds=([0-9.]+) handshake_invalid=(-?\\d+) rate_limited=(-?\\d+) "
                                + "cookie_required=(-?\\d+) legit=(\\S+)")
                .matcher(run.output());
        assertThat(m.find()).as(run.output()).isTrue();
        int cookies = Integer.parseInt(m.group(1));
        long sent = Long.parseLong(m.group(2));
        double seconds = Double.parseDouble(m.group(3));
        long processed = Long.parseLong(m.group(4));
        long rateLimited = Long.parseLong(m.group(5));
        String legit = m.group(7);

        assertThat(cookies).as("addresses of the /64 holding a valid cookie").isGreaterThan(60_000);
        // The /64's bucket: a burst of 5 and 20 a second. Everything else is refused before the
        // Diffie-Hellman (per address, each of the 65,536 would have had a bucket of its own).
        assertThat(processed)
                .as("the /64's initiations that reached a Diffie-Hellman in %.1f s", seconds)
                .isLessThanOrEqualTo(5 + Math.round(20 * (seconds + 2)));
        assertThat(rateLimited).as("rate-limited of %d sent", sent).isGreaterThan(sent / 4);
        assertThat(legit)
                .as("the operator's handshake from another prefix, under load")
                .startsWith("ok(cookie=true");
    }
}
