package co.airdress.relay.sni;

import static co.airdress.relay.sni.Bytes.of;
import static co.airdress.relay.sni.Bytes.u16;
import static co.airdress.relay.sni.Bytes.u24;
import static co.airdress.relay.sni.Bytes.zeros;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.sni.ClientHelloPeek.Status;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Hostile ClientHellos spelled out field by field. Every case is also fed one byte at a time and
 * split at every boundary, and must decide the same way.
 */
class ClientHelloHostileTest {

    /** The body of a ClientHello up to the extensions, legal in every field. */
    static final byte[] PREFIX = of(
            0x03, 0x03, // legacy_version: TLS 1.2
            zeros(32), // random
            0x00, // legacy_session_id: empty
            0x00, 0x02, 0x13, 0x01, // cipher_suites: 2 bytes, TLS_AES_128_GCM_SHA256
            0x01, 0x00); // legacy_compression_methods: 1 byte, null

    /** A single handshake record around {@code handshake}, with a correct length. */
    static byte[] record(byte[] handshake) {
        return of(
                22, // content type: handshake
                0x03,
                0x01, // legacy_record_version 3.1
                u16(handshake.length), // record length
                handshake);
    }

    /** A ClientHello handshake message around {@code body}, with a correct length. */
    static byte[] clientHello(byte[] body) {
        return of(
                0x01, // msg_type: client_hello
                u24(body.length), // length
                body);
    }

    /** PREFIX followed by a correct extensions block holding {@code extensions}. */
    static byte[] withExtensions(byte[] extensions) {
        return of(PREFIX, u16(extensions.length), extensions);
    }

    static void assertOutcome(byte[] wire, Status status, @Nullable MalformedHello reason) {
        ClientHelloPeek whole = new ClientHelloPeek();
        assertThat(Feeding.feedOne(wire, 0, wire.length, whole::feed)).isEqualTo(status);
        assertThat(whole.malformed()).isEqualTo(reason);
        ClientHelloPeek bytewise = new ClientHelloPeek();
        assertThat(Feeding.feedInChunks(wire, 1, bytewise::feed, Status.NEED_MORE))
                .as("one byte at a time")
                .isEqualTo(status);
        assertThat(bytewise.malformed()).isEqualTo(reason);
        for (int split = 0; split <= wire.length; split++) {
            ClientHelloPeek peek = new ClientHelloPeek();
            assertThat(Feeding.feedSplit(wire, split, peek::feed))
                    .as("split at %d", split)
                    .isEqualTo(status);
            assertThat(peek.malformed()).isEqualTo(reason);
        }
    }

    static void assertMalformed(byte[] wire, MalformedHello reason) {
        assertOutcome(wire, Status.MALFORMED, reason);
    }

    // ---- record layer ----

    @Test
    void recordVersionNot3xOnFirstRecordIsNotTls() {
        assertOutcome(
                of(
                        22, // content type: handshake
                        0x02, 0x00, // record version 2.0: not TLS
                        u16(4), 0x01, u24(0)),
                Status.NOT_TLS,
                null);
        assertOutcome(
                of(
                        22, // content type: handshake
                        0x04, 0x01, // record version 4.1
                        u16(4), 0x01, u24(0)),
                Status.NOT_TLS,
                null);
    }

    @Test
    void recordVersionNot3xOnLaterRecordIsMalformedNotALoop() {
        byte[] hs = clientHello(withExtensions(of()));
        assertMalformed(
                of(
                        22,
                        0x03,
                        0x01,
                        u16(10),
                        java.util.Arrays.copyOf(hs, 10), // first 10 handshake bytes
                        22, // content type: handshake
                        0x04,
                        0x03, // record version 4.3 (netty#9933 spun forever on major != 3)
                        u16(hs.length - 10),
                        java.util.Arrays.copyOfRange(hs, 10, hs.length)),
                MalformedHello.RECORD_VERSION);
    }

    @Test
    void nonHandshakeRecordInsideTheHelloIsMalformed() {
        byte[] hs = clientHello(withExtensions(of()));
        assertMalformed(
                of(
                        22,
                        0x03,
                        0x01,
                        u16(10),
                        java.util.Arrays.copyOf(hs, 10), // first 10 handshake bytes
                        21, // content type: alert, before the hello is complete
                        0x03,
                        0x03,
                        u16(2),
                        0x02,
                        0x28),
                MalformedHello.RECORD_TYPE);
    }

    @Test
    void firstRecordOfAnotherTypeIsNotTls() {
        assertOutcome(
                of(
                        23, // content type: application_data
                        0x03, 0x03, u16(1), 0x00),
                Status.NOT_TLS,
                null);
    }

    @Test
    void zeroLengthRecordIsMalformed() {
        assertMalformed(
                of(22, 0x03, 0x01, u16(0)), // record length 0: RFC 8446 §5.1 forbids empty handshake fragments
                MalformedHello.RECORD_LENGTH);
    }

    @Test
    void recordLengthOver2to14IsMalformedBeforeBuffering() {
        assertMalformed(
                of(22, 0x03, 0x01, u16(0x4001)), // record length 16385 > 2^14
                MalformedHello.RECORD_LENGTH);
        assertMalformed(of(22, 0x03, 0x01, u16(0xffff)), MalformedHello.RECORD_LENGTH); // 65535
    }

    @Test
    void sslv2CompatibleHelloIsNotTls() {
        assertOutcome(
                of(
                        0x80, 0x2e, // SSLv2 record: high bit set, 46-byte message
                        0x01, // SSLv2 msg type client-hello
                        0x03, 0x01, // version TLS 1.0
                        u16(21), // cipher spec length
                        u16(0), // session id length
                        u16(16), // challenge length
                        zeros(21), zeros(16)),
                Status.NOT_TLS,
                null);
    }

    // ---- handshake layer ----

    @Test
    void otherHandshakeTypeIsMalformed() {
        assertMalformed(
                record(of(
                        0x02, // msg_type: server_hello
                        u24(PREFIX.length),
                        PREFIX)),
                MalformedHello.NOT_CLIENT_HELLO);
        assertMalformed(
                record(of(
                        0x00, // msg_type: hello_request
                        u24(0))),
                MalformedHello.NOT_CLIENT_HELLO);
    }

    @Test
    void handshakeLengthOverTheCapIsTooLargeAfterNineBytes() {
        byte[] wire = of(
                22,
                0x03,
                0x01,
                u16(0x4000), // record: handshake, 16384 bytes announced
                0x01, // msg_type: client_hello
                u24(0xffffff)); // length 16 MiB - 1
        assertOutcome(wire, Status.TOO_LARGE, null);
        ClientHelloPeek peek = new ClientHelloPeek();
        Feeding.feedOne(wire, 0, wire.length, peek::feed);
        assertThat(peek.helloLength()).isEqualTo(4 + 0xffffff);
    }

    @Test
    void handshakeLengthShorterThanTheFixedFieldsOverruns() {
        assertMalformed(
                record(of(
                        0x01, // msg_type: client_hello
                        u24(10), // length 10: legacy_version + random do not fit
                        PREFIX)),
                MalformedHello.LENGTH_OVERRUN);
    }

    @Test
    void sessionIdOver32() {
        assertMalformed(
                record(clientHello(of(
                        0x03, 0x03, // legacy_version
                        zeros(32), // random
                        33, zeros(33), // legacy_session_id: 33 bytes, over the 32 allowed
                        0x00, 0x02, 0x13, 0x01, // cipher_suites
                        0x01, 0x00))), // legacy_compression_methods
                MalformedHello.SESSION_ID_TOO_LONG);
    }

    @Test
    void sessionIdOverrunningTheHello() {
        assertMalformed(
                record(clientHello(of(
                        0x03, 0x03, // legacy_version
                        zeros(32), // random
                        32, zeros(8)))), // legacy_session_id: 32 announced, hello ends after 8
                MalformedHello.LENGTH_OVERRUN);
    }

    @Test
    void cipherSuitesLengths() {
        assertMalformed(
                record(clientHello(of(
                        0x03,
                        0x03,
                        zeros(32),
                        0x00, // legacy_version, random, empty session id
                        u16(0xfffe), // cipher_suites: 65534 bytes announced
                        0x13,
                        0x01,
                        0x01,
                        0x00))),
                MalformedHello.LENGTH_OVERRUN);
        assertMalformed(
                record(clientHello(of(
                        0x03, 0x03, zeros(32), 0x00, u16(3), 0x13, 0x01, 0x13, // cipher_suites: odd length 3
                        0x01, 0x00))),
                MalformedHello.CIPHER_SUITES_LENGTH);
        assertMalformed(
                record(clientHello(of(
                        0x03, 0x03, zeros(32), 0x00, u16(0), // cipher_suites: empty
                        0x01, 0x00))),
                MalformedHello.CIPHER_SUITES_LENGTH);
    }

    @Test
    void compressionMethodsLengths() {
        assertMalformed(
                record(clientHello(of(
                        0x03, 0x03, zeros(32), 0x00, 0x00, 0x02, 0x13, 0x01, // up to cipher_suites
                        0x00))), // legacy_compression_methods: empty
                MalformedHello.COMPRESSION_METHODS_LENGTH);
        assertMalformed(
                record(clientHello(of(
                        0x03, 0x03, zeros(32), 0x00, 0x00, 0x02, 0x13, 0x01, 0xff,
                        0x00))), // legacy_compression_methods: 255 announced, 1 present
                MalformedHello.LENGTH_OVERRUN);
    }

    @Test
    void extensionsBlockLengths() {
        byte[] sni = of(u16(0), u16(14), u16(12), 0x00, u16(9), "a.example");
        assertMalformed(
                record(clientHello(of(
                        PREFIX,
                        u16(sni.length + 1), // extensions length one past the end of the hello
                        sni))),
                MalformedHello.LENGTH_OVERRUN);
        assertMalformed(
                record(clientHello(of(
                        PREFIX,
                        u16(sni.length - 1), // extensions length one short: a byte left over
                        sni))),
                MalformedHello.LENGTH_MISMATCH);
        assertMalformed(
                record(clientHello(of(PREFIX, 0x00))), // extensions length cut after one byte
                MalformedHello.LENGTH_OVERRUN);
    }

    @Test
    void extensionOverrunningItsBlock() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0017), // extension type: extended_master_secret
                        u16(0), // length 0: fine
                        u16(0x0015), // extension type: padding
                        u16(100), // length 100, but the block ends here
                        zeros(4))))),
                MalformedHello.LENGTH_OVERRUN);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0017), // extension type
                        0x00)))), // extension length cut after one byte
                MalformedHello.LENGTH_OVERRUN);
    }

    // ---- server_name ----

    @Test
    void serverNameListLengths() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(14), // extension server_name, 14 bytes
                        u16(13), // server_name_list: 13 announced, 12 present in the extension
                        0x00,
                        u16(9),
                        "a.example")))),
                MalformedHello.LENGTH_OVERRUN);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(14), // extension server_name, 14 bytes
                        u16(11), // server_name_list: 11 announced, the extension holds 12
                        0x00,
                        u16(9),
                        "a.example")))),
                MalformedHello.LENGTH_MISMATCH);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(2), // extension server_name, 2 bytes
                        u16(0))))), // server_name_list: empty
                MalformedHello.EMPTY_SERVER_NAME_LIST);
        assertMalformed(
                record(clientHello(
                        withExtensions(of(u16(0x0000), u16(0))))), // extension server_name with no list at all
                MalformedHello.LENGTH_OVERRUN);
    }

    @Test
    void hostNameOverrunningTheList() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(14),
                        u16(12), // extension server_name, list of 12
                        0x00, // name_type: host_name
                        u16(10), // name length 10, but 9 bytes are left
                        "a.example")))),
                MalformedHello.LENGTH_OVERRUN);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(5),
                        u16(3), // extension server_name, list of 3
                        0x00, // name_type: host_name
                        u16(0xffff))))), // name length 65535
                MalformedHello.LENGTH_OVERRUN);
    }

    @Test
    void twoHostNames() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(26),
                        u16(24), // extension server_name, list of 24
                        0x00,
                        u16(9),
                        "a.example", // host_name a.example
                        0x00,
                        u16(9),
                        "b.example")))), // host_name b.example: RFC 6066 allows one
                MalformedHello.DUPLICATE_SNI);
    }

    @Test
    void twoServerNameExtensions() {
        byte[] sni = of(u16(0x0000), u16(14), u16(12), 0x00, u16(9), "a.example");
        assertMalformed(
                record(clientHello(withExtensions(of(
                        sni, // server_name a.example
                        sni)))), // server_name again: RFC 8446 §4.2 allows each type once
                MalformedHello.DUPLICATE_EXTENSION);
    }

    @Test
    void emptyHostNames() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(5),
                        u16(3), // extension server_name, list of 3
                        0x00,
                        u16(0))))), // host_name of length 0
                MalformedHello.EMPTY_HOST);
        assertMalformed(
                record(clientHello(withExtensions(
                        of(u16(0x0000), u16(6), u16(4), 0x00, u16(1), ".")))), // host_name "." (root only)
                MalformedHello.EMPTY_HOST);
    }

    @Test
    void invalidHostNames() {
        for (String bad : new String[] {
            "a_b.example",
            "192.0.2.1",
            "a..example",
            "-a.example",
            "a.example..",
            "a\u0000.example",
            "\u00ff.example",
            "a".repeat(64) + ".example",
            "a b.example",
            "[::1]"
        }) {
            byte[] name = bad.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            assertMalformed(
                    record(clientHello(withExtensions(of(
                            u16(0x0000),
                            u16(name.length + 5),
                            u16(name.length + 3), // server_name, list
                            0x00,
                            u16(name.length),
                            name)))), // host_name breaking our rules
                    MalformedHello.INVALID_HOST);
        }
        byte[] longName =
                ("a".repeat(60) + ".").repeat(5).getBytes(java.nio.charset.StandardCharsets.US_ASCII); // 305 bytes
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0000),
                        u16(longName.length + 5),
                        u16(longName.length + 3),
                        0x00,
                        u16(longName.length),
                        longName)))), // 305 bytes: over 253 (+ dot)
                MalformedHello.INVALID_HOST);
    }

    // ---- ALPN and supported_versions ----

    @Test
    void alpnShapes() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0010),
                        u16(2), // extension ALPN, 2 bytes
                        u16(0))))), // protocol_name_list: empty
                MalformedHello.INVALID_ALPN);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0010),
                        u16(5),
                        u16(3), // extension ALPN, list of 3
                        0x00, // protocol name of length 0
                        0x01,
                        'x')))),
                MalformedHello.INVALID_ALPN);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0010),
                        u16(5),
                        u16(3), // extension ALPN, list of 3
                        0x05,
                        'h',
                        '2')))), // protocol name of 5 announced, 2 present
                MalformedHello.LENGTH_OVERRUN);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x0010),
                        u16(5),
                        u16(3),
                        0x02,
                        'h',
                        '2',
                        u16(0x0010),
                        u16(5),
                        u16(3),
                        0x02,
                        'h',
                        '2')))), // ALPN twice
                MalformedHello.DUPLICATE_EXTENSION);
    }

    @Test
    void supportedVersionsShapes() {
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x002b),
                        u16(4), // extension supported_versions, 4 bytes
                        3,
                        0x03,
                        0x04,
                        0x03)))), // list length 3: odd
                MalformedHello.INVALID_SUPPORTED_VERSIONS);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x002b),
                        u16(1), // extension supported_versions, 1 byte
                        0)))), // list length 0
                MalformedHello.INVALID_SUPPORTED_VERSIONS);
        assertMalformed(
                record(clientHello(withExtensions(of(
                        u16(0x002b),
                        u16(3), // extension supported_versions, 3 bytes
                        4,
                        0x03,
                        0x04)))), // list length 4 announced, 2 present
                MalformedHello.LENGTH_OVERRUN);
    }

    // ---- legal but unusual ----

    @Test
    void handshakeHeaderSplitAcrossRecords() {
        byte[] hs = clientHello(withExtensions(of(u16(0x0000), u16(14), u16(12), 0x00, u16(9), "a.example")));
        byte[] wire = of(
                22,
                0x03,
                0x01,
                u16(2),
                hs[0],
                hs[1] & 0xff, // record 1: msg_type and the first length byte
                22,
                0x03,
                0x03,
                u16(hs.length - 2),
                java.util.Arrays.copyOfRange(hs, 2, hs.length)); // record 2: the rest
        assertOutcome(wire, Status.FOUND, null);
    }

    @Test
    void bytesAfterTheHelloAreIgnored() {
        byte[] hs = clientHello(withExtensions(of(u16(0x0000), u16(14), u16(12), 0x00, u16(9), "a.example")));
        assertOutcome(of(record(hs), 20, 0x03, 0x03, u16(1), 0x01), Status.FOUND, null); // then a change_cipher_spec
        assertOutcome(
                of(22, 0x03, 0x01, u16(hs.length + 3), hs, 0xde, 0xad, 0xbe),
                Status.FOUND,
                null); // trailing junk in the record
    }

    @Test
    void noExtensionsBlockAtAll() {
        assertOutcome(record(clientHello(PREFIX)), Status.NO_SNI, null);
    }

    @Test
    void maximumRecordIsAccepted() {
        byte[] hs = HelloBuilder.hello().sni("a.example").padding(16384 - 200).handshake();
        assertThat(hs.length).isLessThanOrEqualTo(16384);
        ClientHelloPeek peek = new ClientHelloPeek();
        byte[] wire = record(hs);
        assertThat(Feeding.feedOne(wire, 0, wire.length, peek::feed)).isEqualTo(Status.FOUND);
    }
}
