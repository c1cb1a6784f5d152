package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HAProxy with {@code accept-proxy} as the operator's upstream proves our PROXY v1 and v2 headers
 * are read right: it answers each request with the source and destination it got from the header
 * and, for v2, the AUTHORITY TLV. The relay listens on one dual-stack {@code [::]} socket per
 * listener; HAProxy listens on IPv4 ({@code 127.0.0.1}) and on IPv6 ({@code [::1]}) for each
 * version, so every combination of client family and operator family is a real connection: an
 * IPv6 client's header is TCP6 also over an IPv4 connection to the operator, and an IPv4 client's
 * is TCP4 (not {@code ::ffff:a.b.c.d}) also over IPv6. IPv4 clients connect from 127.0.0.5 so the
 * relay's own address (127.0.0.1) cannot be mistaken for the client's; IPv6 clients have only
 * {@code ::1}, where the source port tells them apart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyProtocolEndToEndTest {

    private Path dir;
    private ExternalProcess haproxy;
    private RelayHarness relay;

    @BeforeAll
    void start() throws Exception {
        String bin = Prerequisites.tool("haproxy").toString();
        dir = Files.createTempDirectory("relay-haproxy");
        String answer = "http-request return status 200 content-type text/plain lf-string "
                + "\"src=%[src]:%[src_port] dst=%[dst]:%[dst_port] authority=%[fc_pp_authority]\\n\"\n";
        StringBuilder cfg = new StringBuilder("""
                global
                  maxconn 100
                defaults
                  mode http
                  timeout connect 5s
                  timeout client 10s
                  timeout server 10s
                """);
        List<Operator> operators = new ArrayList<>();
        List<InetSocketAddress> frontends = new ArrayList<>();
        for (String family : List.of("4", "6")) {
            for (ProxyProtocol version : List.of(ProxyProtocol.V1, ProxyProtocol.V2)) {
                String name = version.name().toLowerCase() + "-" + family;
                InetSocketAddress bind =
                        new InetSocketAddress(family.equals("4") ? "127.0.0.1" : "::1", RelayHarness.freePort());
                frontends.add(bind);
                cfg.append("frontend ")
                        .append(name)
                        .append("\n  bind ")
                        .append(family.equals("4") ? "127.0.0.1" : "[::1]")
                        .append(':')
                        .append(bind.getPort())
                        .append(" accept-proxy\n  ")
                        .append(answer);
                operators.add(
                        RelayHarness.operator("op-" + name, List.of(name + ".example.test"), bind, null, version));
            }
        }
        Files.writeString(dir.resolve("haproxy.cfg"), cfg);
        haproxy = ExternalProcess.start(
                "haproxy", List.of(bin, "-db", "-f", dir.resolve("haproxy.cfg").toString()));
        for (InetSocketAddress f : frontends) {
            haproxy.awaitPort(f.getHostString(), f.getPort(), Duration.ofSeconds(20));
        }
        relay = RelayHarness.start(RelayHarness.dualStackConfig(), operators);
    }

    @AfterAll
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (haproxy != null) {
            haproxy.close();
        }
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("haproxy.cfg"));
            Files.deleteIfExists(dir);
        }
    }

    /** curl from {@code from} to the relay's HTTP listener at {@code to}; returns HAProxy's answer and the client. */
    private String[] curl(String host, String from, String to) {
        String out = Curl.run(
                "-g",
                "--interface",
                from,
                "-H",
                "Host: " + host,
                "-w",
                "client=%{local_ip}:%{local_port}",
                "http://" + to + ":" + relay.httpPort() + "/");
        return out.split("\n");
    }

    @Test
    void haproxyReadsTheRealClientFromOurV1Header() {
        String[] lines = curl("v1-4.example.test", "127.0.0.5", "127.0.0.1");
        String client = lines[1].substring("client=".length());
        assertThat(lines[0]).startsWith("src=" + client + " dst=127.0.0.1:" + relay.httpPort() + " ");
    }

    @Test
    void haproxyReadsTheRealClientAndAuthorityFromOurV2Header() {
        String[] lines = curl("v2-4.example.test", "127.0.0.5", "127.0.0.1");
        String client = lines[1].substring("client=".length());
        assertThat(lines[0])
                .isEqualTo("src=" + client + " dst=127.0.0.1:" + relay.httpPort() + " authority=v2-4.example.test");
    }

    /**
     * Every client family with every operator family, v1 and v2: HAProxy sees the client's own
     * address and the relay address it connected to, in the client's family.
     */
    @ParameterizedTest(name = "PROXY {0}, client IPv{1}, operator IPv{2}")
    @CsvSource({"v1, 4, 4", "v1, 4, 6", "v1, 6, 4", "v1, 6, 6", "v2, 4, 4", "v2, 4, 6", "v2, 6, 4", "v2, 6, 6"})
    void haproxyReadsEveryFamilyCombination(String version, String clientFamily, String operatorFamily) {
        boolean ipv6Client = clientFamily.equals("6");
        String host = version + "-" + operatorFamily + ".example.test";
        String[] lines = ipv6Client ? curl(host, "::1", "[::1]") : curl(host, "127.0.0.5", "127.0.0.1");
        String client = lines[1].substring("client=".length());
        String relayAddress = ipv6Client ? "::1" : "127.0.0.1";
        assertThat(client).as("curl's own address").startsWith(ipv6Client ? "::1:" : "127.0.0.5:");
        String expected = "src=" + client + " dst=" + relayAddress + ":" + relay.httpPort() + " authority="
                + (version.equals("v2") ? host : "");
        assertThat(lines[0]).isEqualTo(expected);
    }
}
