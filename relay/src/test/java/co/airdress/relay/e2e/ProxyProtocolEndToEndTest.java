package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * HAProxy with {@code accept-proxy} as the operator's upstream proves our PROXY v1 and v2 headers
 * are read right: it answers each request with the source address and port it got from the header
 * and, for v2, the AUTHORITY TLV. curl connects from 127.0.0.5 so the relay's own address
 * (127.0.0.1) cannot be mistaken for the client's.
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
        int v1 = RelayHarness.freePort();
        int v2 = RelayHarness.freePort();
        String answer = "http-request return status 200 content-type text/plain lf-string "
                + "\"src=%[src]:%[src_port] dst=%[dst]:%[dst_port] authority=%[fc_pp_authority]\\n\"\n";
        Files.writeString(dir.resolve("haproxy.cfg"), """
                global
                  maxconn 100
                defaults
                  mode http
                  timeout connect 5s
                  timeout client 10s
                  timeout server 10s
                frontend v1
                  bind 127.0.0.1:%d accept-proxy
                  %s
                frontend v2
                  bind 127.0.0.1:%d accept-proxy
                  %s
                """.formatted(v1, answer, v2, answer));
        haproxy = ExternalProcess.start(
                "haproxy", List.of(bin, "-db", "-f", dir.resolve("haproxy.cfg").toString()));
        haproxy.awaitPort("127.0.0.1", v1, Duration.ofSeconds(20)).awaitPort("127.0.0.1", v2, Duration.ofSeconds(20));
        relay = RelayHarness.start(
                RelayHarness.defaultConfig(),
                List.of(
                        RelayHarness.operator(
                                "one",
                                List.of("v1.example.test"),
                                new InetSocketAddress("127.0.0.1", v1),
                                null,
                                ProxyProtocol.V1),
                        RelayHarness.operator(
                                "two",
                                List.of("v2.example.test"),
                                new InetSocketAddress("127.0.0.1", v2),
                                null,
                                ProxyProtocol.V2)));
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

    private String[] curl(String host) {
        String out = Curl.run(
                "--interface",
                "127.0.0.5",
                "-H",
                "Host: " + host,
                "-w",
                "client=%{local_ip}:%{local_port}",
                "http://127.0.0.1:" + relay.httpPort() + "/");
        return out.split("\n");
    }

    @Test
    void haproxyReadsTheRealClientFromOurV1Header() {
        String[] lines = curl("v1.example.test");
        String client = lines[1].substring("client=".length());
        assertThat(lines[0]).startsWith("src=" + client + " dst=127.0.0.1:" + relay.httpPort() + " ");
    }

    @Test
    void haproxyReadsTheRealClientAndAuthorityFromOurV2Header() {
        String[] lines = curl("v2.example.test");
        String client = lines[1].substring("client=".length());
        assertThat(lines[0])
                .isEqualTo("src=" + client + " dst=127.0.0.1:" + relay.httpPort() + " authority=v2.example.test");
    }
}
