package co.airdress.relay.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.testing.Curl;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Real clients through the relay to real upstreams: curl, openssl s_client, Python ssl. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RelayEndToEndTest {

    private HttpUpstream http;
    private TlsUpstream tls;
    private RelayHarness relay;

    @BeforeAll
    void start() throws Exception {
        http = new HttpUpstream("alice-http");
        tls = new TlsUpstream("alice-upstream-cert", "alice.example.test", "*.alice.example.test");
        int closed = RelayHarness.freePort();
        relay = RelayHarness.start(
                RelayHarness.defaultConfig(),
                List.of(
                        RelayHarness.operator(
                                "alice",
                                List.of("alice.example.test", "*.alice.example.test"),
                                http.address(),
                                tls.address(),
                                ProxyProtocol.NONE),
                        RelayHarness.operator(
                                "gone",
                                List.of("gone.example.test"),
                                new InetSocketAddress("127.0.0.1", closed),
                                new InetSocketAddress("127.0.0.1", closed),
                                ProxyProtocol.NONE),
                        RelayHarness.operator(
                                "tlsonly", List.of("tlsonly.example.test"), null, tls.address(), ProxyProtocol.NONE)));
    }

    @AfterAll
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (tls != null) {
            tls.close();
        }
        if (http != null) {
            http.close();
        }
    }

    private static String curl(String... args) {
        return Curl.run(args);
    }

    private ExternalProcess.Result sClient(String... args) {
        String openssl = Prerequisites.tool("openssl").toString();
        String[] cmd = new String[args.length + 4];
        cmd[0] = openssl;
        cmd[1] = "s_client";
        cmd[2] = "-connect";
        cmd[3] = "127.0.0.1:" + relay.tlsPort();
        System.arraycopy(args, 0, cmd, 4, args.length);
        return ExternalProcess.runAllowingFailure(Duration.ofSeconds(30), cmd);
    }

    @Test
    void curlReachesTheUpstreamByHost() {
        String out = curl("-H", "Host: www.alice.example.test", "http://127.0.0.1:" + relay.httpPort() + "/hello");
        assertThat(out).isEqualTo("upstream=alice-http host=www.alice.example.test path=/hello\n");
    }

    @Test
    void curlGets404ForAnUnknownHost() {
        String out = curl("-i", "-H", "Host: nobody.example.test", "http://127.0.0.1:" + relay.httpPort() + "/");
        assertThat(out)
                .startsWith("HTTP/1.1 404 Not Found\r\n")
                .contains("Connection: close\r\n")
                .endsWith("no route for this host\n");
    }

    @Test
    void curlGets502WhenTheOperatorIsUnreachable() {
        String out = curl("-i", "-H", "Host: gone.example.test", "http://127.0.0.1:" + relay.httpPort() + "/");
        assertThat(out).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
    }

    @Test
    void anOperatorWithoutAnHttpUpstreamIsUnknownOnTheHttpListener() {
        String out = curl("-i", "-H", "Host: tlsonly.example.test", "http://127.0.0.1:" + relay.httpPort() + "/");
        assertThat(out).startsWith("HTTP/1.1 404 Not Found\r\n");
    }

    @Test
    void curlGets431ForAHeadOverTheLimit() {
        String big = "X-Big: " + "a".repeat(20_000);
        String out =
                curl("-i", "-H", "Host: alice.example.test", "-H", big, "http://127.0.0.1:" + relay.httpPort() + "/");
        assertThat(out).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
    }

    @Test
    void malformedRequestsGet400() throws Exception {
        byte[] answer = Raw.exchange(
                relay.httpPort(),
                "GET / HTTP/1.1\r\nHost: a\u0001b.example\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                false);
        assertThat(new String(answer, StandardCharsets.US_ASCII))
                .startsWith("HTTP/1.1 400 Bad Request\r\n")
                .contains("Connection: close");
        byte[] notHttp =
                Raw.exchange(relay.httpPort(), "\u0016\u0003\u0001 hello".getBytes(StandardCharsets.ISO_8859_1), false);
        assertThat(new String(notHttp, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400 Bad Request\r\n");
    }

    @Test
    void aSilentHttpClientGets408AfterThePeekTimeout() throws Exception {
        byte[] answer =
                Raw.exchange(relay.httpPort(), "GET / HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII), false);
        assertThat(new String(answer, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 408 Request Timeout\r\n");
    }

    @Test
    void aSilentTlsClientIsClosedAfterThePeekTimeout() throws Exception {
        byte[] answer = Raw.exchange(relay.tlsPort(), new byte[] {0x16, 0x03, 0x01}, false);
        assertThat(answer).isEmpty();
    }

    @Test
    void opensslSeesTheUpstreamsOwnCertificate() {
        ExternalProcess.Result r = sClient("-servername", "alice.example.test");
        assertThat(r.output()).contains("subject=CN = alice-upstream-cert").contains("Verify return code: 18");
    }

    @Test
    void curlVerifiesTheUpstreamCertificateThroughTheRelay() {
        String out = curl(
                "--cacert",
                tls.cert.toString(),
                "--resolve",
                "www.alice.example.test:" + relay.tlsPort() + ":127.0.0.1",
                "https://www.alice.example.test:" + relay.tlsPort() + "/");
        assertThat(out).contains("s_server");
    }

    @Test
    void pythonSslVerifiesTheUpstreamCertificate() {
        String python = Prerequisites.tool("python3").toString();
        String script = """
                import socket, ssl, sys
                ctx = ssl.create_default_context(cafile=sys.argv[1])
                with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname="alice.example.test") as s:
                        subject = dict(x[0] for x in s.getpeercert()["subject"])
                        print("subject", subject["commonName"], s.version())
                """;
        String out = ExternalProcess.run(
                Duration.ofSeconds(30), python, "-c", script, tls.cert.toString(), Integer.toString(relay.tlsPort()));
        assertThat(out).startsWith("subject alice-upstream-cert TLS");
    }

    @Test
    void anUnknownSniGetsUnrecognizedName() {
        ExternalProcess.Result r = sClient("-servername", "nobody.example.test");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("alert number 112");
    }

    @Test
    void aHelloWithoutSniGetsHandshakeFailure() {
        ExternalProcess.Result r = sClient("-noservername");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("alert number 40");
    }

    @Test
    void anUnreachableOperatorGetsInternalError() {
        ExternalProcess.Result r = sClient("-servername", "gone.example.test");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("alert number 80");
    }

    @Test
    void aMalformedHelloGetsDecodeError() throws Exception {
        // A handshake record whose ClientHello declares a session id longer than the record.
        byte[] hello = {
            0x16,
            0x03,
            0x01,
            0x00,
            0x2e,
            0x01,
            0x00,
            0x00,
            0x2a,
            0x03,
            0x03,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            (byte) 0xff,
            0,
            0,
            0
        };
        byte[] answer = Raw.exchange(relay.tlsPort(), hello, false);
        assertThat(answer).containsExactly(21, 3, 1, 0, 2, 2, 50);
    }

    @Test
    void anOversizedHelloGetsAnAlert() throws Exception {
        // Handshake header declaring a 64 KiB ClientHello: refused before buffering it.
        byte[] hello = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00};
        byte[] answer = Raw.exchange(relay.tlsPort(), hello, false);
        assertThat(answer).containsExactly(21, 3, 1, 0, 2, 2, 40);
    }

    @Test
    void halfCloseReachesTheUpstreamAndTheAnswerStillComesBack() throws Exception {
        byte[] answer = Raw.exchange(
                relay.httpPort(),
                "GET /half HTTP/1.0\r\nHost: alice.example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                true);
        assertThat(new String(answer, StandardCharsets.US_ASCII))
                .startsWith("HTTP/1.1 200")
                .endsWith("path=/half\n");
    }
}
