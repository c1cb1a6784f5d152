package co.airdress.relay.sni;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.sni.Fixtures.ClientHelloFixture;
import co.airdress.relay.sni.Fixtures.HttpHeadFixture;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks the captured fixtures and their manifests on their own terms, without our parser. */
class FixturesTest {

    static List<ClientHelloFixture> clientHellos() {
        return Fixtures.clientHellos();
    }

    static List<HttpHeadFixture> httpHeads() {
        return Fixtures.httpHeads();
    }

    @ParameterizedTest
    @MethodSource("clientHellos")
    void clientHelloIsExactlyTheRecordsThatCarryOneClientHello(ClientHelloFixture fixture) {
        byte[] bytes = fixture.bytes();
        int offset = 0;
        int handshakeBytes = 0;
        int helloLength = -1; // 4-byte header + body, once the header has been seen
        byte[] header = new byte[4];
        while (offset < bytes.length) {
            assertThat(helloLength < 0 || handshakeBytes < helloLength)
                    .as("bytes after the record that completes the ClientHello at offset %d", offset)
                    .isTrue();
            assertThat(bytes.length - offset).as("record header at %d", offset).isGreaterThanOrEqualTo(5);
            assertThat(bytes[offset]).as("content type at %d", offset).isEqualTo((byte) 0x16);
            assertThat(bytes[offset + 1])
                    .as("record version major at %d", offset)
                    .isEqualTo((byte) 0x03);
            int length = u16(bytes, offset + 3);
            assertThat(length).as("record length at %d", offset).isBetween(1, 16_384);
            assertThat(offset + 5 + length).as("record at %d fits", offset).isLessThanOrEqualTo(bytes.length);
            for (int i = 0; i < length; i++, handshakeBytes++) {
                if (handshakeBytes < 4) {
                    header[handshakeBytes] = bytes[offset + 5 + i];
                }
            }
            if (helloLength < 0 && handshakeBytes >= 4) {
                assertThat(header[0]).as("handshake type client_hello").isEqualTo((byte) 1);
                helloLength = 4 + ((header[1] & 0xff) << 16 | u16(header, 2));
            }
            offset += 5 + length;
        }
        assertThat(handshakeBytes)
                .as("handshake bytes = declared ClientHello length")
                .isEqualTo(helloLength);
    }

    @ParameterizedTest
    @MethodSource("clientHellos")
    void manifestValuesAreVisibleInTheBytes(ClientHelloFixture fixture) {
        String latin1 = new String(fixture.bytes(), StandardCharsets.ISO_8859_1);
        if (fixture.sni() != null) {
            assertThat(latin1).contains(fixture.sni());
        }
        for (String protocol : fixture.alpn()) {
            assertThat(latin1).contains(protocol);
        }
        assertThat(fixture.legacyVersion()).isBetween(0x0301, 0x0303);
        // legacy_version sits after the 5-byte record header and the 4-byte handshake header
        assertThat(u16(fixture.bytes(), 9)).isEqualTo(fixture.legacyVersion());
    }

    @ParameterizedTest
    @MethodSource("httpHeads")
    void httpHeadEndsAtItsFirstEmptyLine(HttpHeadFixture fixture) {
        String head = new String(fixture.bytes(), StandardCharsets.ISO_8859_1);
        assertThat(head).endsWith("\r\n\r\n");
        assertThat(head.indexOf("\r\n\r\n")).isEqualTo(head.length() - 4);
        assertThat(head).matches("(?s)GET \\S+ HTTP/1\\.[01]\r\n.*");
        assertThat(head.toLowerCase(Locale.ROOT)).contains(fixture.host());
        assertThat(fixture.host())
                .isEqualTo(fixture.host().toLowerCase(Locale.ROOT))
                .doesNotContain(":");
    }

    @Test
    void manifestsListEveryCapturedFileAndTheRequiredClients() throws Exception {
        assertThat(Fixtures.clientHellos())
                .extracting(f -> f.name() + ".bin")
                .containsExactlyInAnyOrderElementsOf(files("/fixtures/clienthello/", ".bin"));
        assertThat(Fixtures.httpHeads())
                .extracting(f -> f.name() + ".http")
                .containsExactlyInAnyOrderElementsOf(files("/fixtures/httphead/", ".http"));

        assertThat(Fixtures.clientHellos())
                .extracting(ClientHelloFixture::name)
                .contains(
                        "curl-openssl3",
                        "openssl-s_client-tls12",
                        "openssl-s_client-tls13",
                        "openssl-s_client-nosni",
                        "gnutls-cli",
                        "jdk17",
                        "jdk25",
                        "node",
                        "python-ssl",
                        "chromium");
        assertThat(Fixtures.clientHellos()).anyMatch(f -> f.sni() == null);
        assertThat(Fixtures.clientHellos()).anyMatch(f -> f.alpn().size() > 1);

        ClientHelloFixture chromium = Fixtures.clientHello("chromium");
        assertThat(chromium.ech()).isTrue();
        assertThat(chromium.bytes().length)
                .as("X25519MLKEM768 key share makes it big")
                .isGreaterThan(1_500);
        assertThat(Fixtures.httpHead("chromium").host()).isEqualTo("chromium.fixtures.airdress.test");
    }

    private static List<String> files(String dir, String suffix) throws IOException, URISyntaxException {
        Path path = Path.of(
                Objects.requireNonNull(Fixtures.class.getResource(dir), dir).toURI());
        try (Stream<Path> list = Files.list(path)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(suffix))
                    .toList();
        }
    }

    private static int u16(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) << 8 | (bytes[offset + 1] & 0xff);
    }
}
