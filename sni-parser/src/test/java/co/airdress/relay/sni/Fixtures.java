package co.airdress.relay.sni;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Real ClientHellos and HTTP request heads captured from common clients by
 * {@code src/test/resources/fixtures/capture.sh} (see the README next to it). Loaded from the
 * classpath through the two {@code MANIFEST.tsv} files, so it works from the test-jar too.
 */
public final class Fixtures {

    private static final String CLIENT_HELLO_DIR = "/fixtures/clienthello/";
    private static final String HTTP_HEAD_DIR = "/fixtures/httphead/";

    /**
     * One captured ClientHello: {@code bytes} are exactly the TLS records up to and including the
     * one that completes the ClientHello. The other fields were decoded by tshark at capture time.
     *
     * @param sni the server_name host, or null when the client sent none
     * @param alpn ALPN protocol names in the client's order; empty when absent
     * @param ech whether an encrypted_client_hello (0xfe0d) extension is present (GREASE or real)
     * @param supportedVersions the supported_versions extension as on the wire (GREASE included);
     *     empty when absent
     */
    public record ClientHelloFixture(
            String name,
            String client,
            byte[] bytes,
            @Nullable String sni,
            List<String> alpn,
            boolean ech,
            int legacyVersion,
            List<Integer> supportedVersions) {

        public ClientHelloFixture {
            requireNonNull(name, "name");
            requireNonNull(client, "client");
            requireNonNull(bytes, "bytes");
            alpn = List.copyOf(alpn);
            supportedVersions = List.copyOf(supportedVersions);
        }

        /** A copy: callers may mutate what they get. */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * One captured HTTP/1.x request head, through the empty line.
     *
     * @param host what routing should see: lowercased, port stripped
     */
    public record HttpHeadFixture(String name, String client, byte[] bytes, String host) {

        public HttpHeadFixture {
            requireNonNull(name, "name");
            requireNonNull(client, "client");
            requireNonNull(bytes, "bytes");
            requireNonNull(host, "host");
        }

        /** A copy: callers may mutate what they get. */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Every captured ClientHello, in manifest order; {@link ClientHelloFixture#name()} is the file stem. */
    public static List<ClientHelloFixture> clientHellos() {
        List<ClientHelloFixture> fixtures = new ArrayList<>();
        for (String[] row : manifest(CLIENT_HELLO_DIR, 7)) {
            String file = row[0];
            fixtures.add(new ClientHelloFixture(
                    stem(file),
                    row[1],
                    resource(CLIENT_HELLO_DIR + file),
                    dash(row[2]) ? null : row[2],
                    dash(row[3]) ? List.of() : List.of(row[3].split(",")),
                    parseBoolean(row[4]),
                    Integer.parseInt(row[5], 16),
                    dash(row[6])
                            ? List.of()
                            : Arrays.stream(row[6].split(","))
                                    .map(v -> Integer.parseInt(v, 16))
                                    .toList()));
        }
        return List.copyOf(fixtures);
    }

    /** The ClientHello captured as {@code <name>.bin}, e.g. {@code "chromium"}. */
    public static ClientHelloFixture clientHello(String name) {
        requireNonNull(name, "name");
        for (ClientHelloFixture fixture : clientHellos()) {
            if (fixture.name().equals(name)) {
                return fixture;
            }
        }
        throw new IllegalArgumentException("name: " + name + " (expected: one of " + clientHellos() + ")");
    }

    /** Every captured HTTP request head, in manifest order. */
    public static List<HttpHeadFixture> httpHeads() {
        List<HttpHeadFixture> fixtures = new ArrayList<>();
        for (String[] row : manifest(HTTP_HEAD_DIR, 3)) {
            fixtures.add(new HttpHeadFixture(stem(row[0]), row[1], resource(HTTP_HEAD_DIR + row[0]), row[2]));
        }
        return List.copyOf(fixtures);
    }

    /** The HTTP head captured as {@code <name>.http}, e.g. {@code "chromium"}. */
    public static HttpHeadFixture httpHead(String name) {
        requireNonNull(name, "name");
        for (HttpHeadFixture fixture : httpHeads()) {
            if (fixture.name().equals(name)) {
                return fixture;
            }
        }
        throw new IllegalArgumentException("name: " + name + " (expected: one of " + httpHeads() + ")");
    }

    static List<String[]> manifest(String dir, int columns) {
        String text = new String(resource(dir + "MANIFEST.tsv"), StandardCharsets.UTF_8);
        List<String[]> rows = new ArrayList<>();
        List<String> lines = text.lines().filter(line -> !line.isBlank()).toList();
        for (String line : lines.subList(1, lines.size())) { // first line is the header
            String[] row = line.split("\t", -1);
            if (row.length != columns) {
                throw new IllegalStateException(
                        "manifest row: " + line + " (expected: " + columns + " tab-separated columns)");
            }
            rows.add(row);
        }
        return rows;
    }

    static byte[] resource(String path) {
        try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource: " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean dash(String value) {
        return value.equals("-");
    }

    private static boolean parseBoolean(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalStateException("ech: " + value + " (expected: true or false)");
        };
    }

    private static String stem(String file) {
        int dot = file.lastIndexOf('.');
        return dot < 0 ? file : file.substring(0, dot);
    }

    private Fixtures() {}
}
