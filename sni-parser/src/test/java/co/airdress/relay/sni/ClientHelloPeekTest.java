package co.airdress.relay.sni;

import static co.airdress.relay.sni.HelloBuilder.hello;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.sni.ClientHelloPeek.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class ClientHelloPeekTest {

    static ClientHelloPeek peek(byte[] data) {
        ClientHelloPeek peek = new ClientHelloPeek();
        Feeding.feedOne(data, 0, data.length, peek::feed);
        return peek;
    }

    @Test
    void findsHostAlpnVersionsAndLength() {
        byte[] hs = hello().sni("Example.COM.")
                .alpn("h2", "http/1.1")
                .supportedVersions(0x0304, 0x0303)
                .handshake();
        ClientHelloPeek peek = peek(HelloBuilder.records(hs, 16384));

        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("example.com");
        assertThat(peek.hostLength()).isEqualTo(11);
        assertThat(peek.hostByteAt(0)).isEqualTo((byte) 'e');
        assertThat(peek.alpn()).containsExactly("h2", "http/1.1");
        assertThat(peek.alpnTruncated()).isFalse();
        assertThat(peek.supportedVersions()).containsExactly(0x0304, 0x0303);
        assertThat(peek.offersTls13()).isTrue();
        assertThat(peek.legacyVersion()).isEqualTo(0x0303);
        assertThat(peek.echPresent()).isFalse();
        assertThat(peek.helloLength()).isEqualTo(hs.length);
        assertThat(peek.malformed()).isNull();
    }

    @Test
    void echPresentRoutesOnOuterSni() {
        ClientHelloPeek peek = peek(hello().sni("public.example").ech().bytes());
        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("public.example");
        assertThat(peek.echPresent()).isTrue();
    }

    @Test
    void noSniWithAndWithoutExtensions() {
        assertThat(peek(hello().alpn("h2").bytes()).status()).isEqualTo(Status.NO_SNI);
        HelloBuilder bare = hello();
        bare.omitExtensions = true;
        ClientHelloPeek peek = peek(bare.bytes());
        assertThat(peek.status()).isEqualTo(Status.NO_SNI);
        assertThat(peek.host()).isNull();
        assertThat(peek.alpn()).isEmpty();
        assertThat(peek.supportedVersions()).isEmpty();
        assertThat(peek.offersTls13()).isFalse();
    }

    @Test
    void notTls() {
        assertThat(peek("GET / HTTP/1.1\r\n".getBytes()).status()).isEqualTo(Status.NOT_TLS);
        assertThat(peek(new byte[] {0x16, 0x02}).status()).isEqualTo(Status.NOT_TLS);
    }

    @Test
    void tooLargeIsDecidedFromTheDeclaredLength() {
        // record header + handshake header declaring 16381 body bytes: 4 + 16381 > 16384
        byte[] head = {22, 3, 1, 0x40, 0x00, 1, 0x00, 0x3f, (byte) 0xfd};
        ClientHelloPeek peek = peek(head);
        assertThat(peek.status()).isEqualTo(Status.TOO_LARGE);
        assertThat(peek.helloLength()).isEqualTo(16385);

        head[8] = (byte) 0xfc; // exactly 16384: not too large, needs more
        assertThat(peek(head).status()).isEqualTo(Status.NEED_MORE);
    }

    @Test
    void configurableCap() {
        byte[] data = hello().sni("a.example").padding(3000).bytes();
        ClientHelloPeek small = new ClientHelloPeek(1024);
        assertThat(Feeding.feedOne(data, 0, data.length, small::feed)).isEqualTo(Status.TOO_LARGE);
        assertThatThrownBy(() -> new ClientHelloPeek(3)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A hello of exactly the default cap (16384 handshake bytes). */
    static byte[] helloAtTheCap() {
        int unpadded = hello().sni("cap.example").handshake().length;
        byte[] hs = hello().sni("cap.example")
                .padding(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH - unpadded - 4)
                .handshake();
        assertThat(hs).hasSize(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH);
        return hs;
    }

    @Test
    void theByteBoundFitsAHelloAtTheCapInRecordsOf64Bytes() {
        assertThat(ClientHelloPeek.DEFAULT_MAX_BYTES).isEqualTo(16384 + 5 * 256);
        byte[] wire = HelloBuilder.records(helloAtTheCap(), 64);
        assertThat(wire).hasSize(ClientHelloPeek.DEFAULT_MAX_BYTES);
        ClientHelloPeek peek = new ClientHelloPeek();
        assertThat(Feeding.feedInChunks(wire, 1, peek::feed, Status.NEED_MORE)).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("cap.example");
    }

    @Test
    void aHelloNotDecidedWithinTheByteBoundIsTooLargeAtItsLastByte() {
        // 63-byte records: 261 record headers, 25 bytes more than the bound allows.
        byte[] wire = HelloBuilder.records(helloAtTheCap(), 63);
        assertThat(wire.length).isGreaterThan(ClientHelloPeek.DEFAULT_MAX_BYTES);
        ClientHelloPeek peek = new ClientHelloPeek();
        int limit = ClientHelloPeek.DEFAULT_MAX_BYTES;
        assertThat(Feeding.feedOne(wire, 0, limit - 1, peek::feed)).isEqualTo(Status.NEED_MORE);
        assertThat(Feeding.feedOne(wire, limit - 1, 1, peek::feed)).isEqualTo(Status.TOO_LARGE);
        assertThat(peek.helloLength())
                .as("the declared length was within the cap")
                .isEqualTo(16384);
        assertThat(peek.host()).isNull();
        // The rest changes nothing, in whatever chunks: the same for one feed of everything.
        assertThat(Feeding.feedOne(wire, limit, wire.length - limit, peek::feed))
                .isEqualTo(Status.TOO_LARGE);
        assertThat(peek(wire).status()).isEqualTo(Status.TOO_LARGE);
    }

    @Test
    void aSixteenKibHelloInOneByteRecordsIsRefusedAfterTheBoundNotAfter96Kib() {
        byte[] wire = HelloBuilder.records(helloAtTheCap(), 1);
        assertThat(wire).hasSize(6 * 16384);
        ClientHelloPeek peek = new ClientHelloPeek();
        int fed = 0;
        Status status = Status.NEED_MORE;
        while (status == Status.NEED_MORE) {
            status = Feeding.feedOne(wire, fed, 1, peek::feed);
            fed++;
        }
        assertThat(status).isEqualTo(Status.TOO_LARGE);
        assertThat(fed).isEqualTo(ClientHelloPeek.DEFAULT_MAX_BYTES);
        // Without the bound (as before it existed) the same bytes are accepted after 96 KiB.
        ClientHelloPeek unbounded = new ClientHelloPeek(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH, Integer.MAX_VALUE);
        assertThat(Feeding.feedOne(wire, 0, wire.length, unbounded::feed)).isEqualTo(Status.FOUND);
    }

    @Test
    void theByteBoundFollowsTheCapAndMustFitOneRecord() {
        assertThat(ClientHelloPeek.maxBytesFor(1024)).isEqualTo(1024 + 5 * 16);
        assertThat(ClientHelloPeek.maxBytesFor(1025)).isEqualTo(1025 + 5 * 17);
        assertThat(ClientHelloPeek.maxBytesFor(4)).isEqualTo(4 + 5);
        byte[] data = hello().sni("a.example").padding(800).bytes(); // one record, under 1024
        ClientHelloPeek tight = new ClientHelloPeek(1024, 1029);
        assertThat(Feeding.feedOne(data, 0, data.length, tight::feed)).isEqualTo(Status.FOUND);
        assertThatThrownBy(() -> new ClientHelloPeek(1024, 1028))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBytes: 1028 (expected: at least maxHelloLength + 5 = 1029)");
    }

    @Test
    void needMoreUntilTheLastByteThenFinalAndSticky() {
        byte[] data = hello().sni("a.example").bytes();
        ClientHelloPeek peek = new ClientHelloPeek();
        assertThat(Feeding.feedOne(data, 0, data.length - 1, peek::feed)).isEqualTo(Status.NEED_MORE);
        assertThat(peek.host()).isNull();
        assertThat(Feeding.feedOne(data, data.length - 1, 1, peek::feed)).isEqualTo(Status.FOUND);
        assertThat(Feeding.feedOne(new byte[] {0x15, 0, 0}, 0, 3, peek::feed)).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("a.example");

        peek.reset();
        assertThat(peek.status()).isEqualTo(Status.NEED_MORE);
        assertThat(peek.host()).isNull();
        assertThat(Feeding.feedOne(data, 0, data.length, peek::feed)).isEqualTo(Status.FOUND);
    }

    @Test
    void emptyChunkChangesNothing() {
        ClientHelloPeek peek = new ClientHelloPeek();
        assertThat(peek.feed(Unpooled.EMPTY_BUFFER)).isEqualTo(Status.NEED_MORE);
    }

    @Test
    void feedLeavesIndicesAndWorksOnDirectBuffers() {
        byte[] data = hello().sni("direct.example").bytes();
        ByteBuf direct = Unpooled.directBuffer(data.length).writeBytes(data);
        try {
            ClientHelloPeek peek = new ClientHelloPeek();
            assertThat(peek.feed(direct)).isEqualTo(Status.FOUND);
            assertThat(direct.readerIndex()).isZero();
            assertThat(direct.writerIndex()).isEqualTo(data.length);
            assertThat(peek.host()).isEqualTo("direct.example");
        } finally {
            direct.release();
        }
    }

    @Test
    void alpnBeyondCapacityIsTruncatedNotRejected() {
        String[] many = new String[40];
        for (int i = 0; i < many.length; i++) {
            many[i] = "protocol-" + i; // 11..12 bytes each: 40 of them overflow 256
        }
        ClientHelloPeek peek = peek(hello().sni("a.example").alpn(many).bytes());
        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.alpnTruncated()).isTrue();
        assertThat(peek.alpn()).startsWith("protocol-0", "protocol-1").hasSizeLessThan(40);
    }

    @Test
    void otherNameTypesAreSkipped() {
        // server_name_list: an unknown name_type 7 entry, then host_name
        byte[] list = {7, 0, 2, 'x', 'y', 0, 0, 9, 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
        ClientHelloPeek peek =
                peek(hello().extension(0, HelloBuilder.vector16(list)).bytes());
        assertThat(peek.status()).isEqualTo(Status.FOUND);
        assertThat(peek.host()).isEqualTo("a.example");
    }
}
