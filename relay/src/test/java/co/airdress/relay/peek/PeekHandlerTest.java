package co.airdress.relay.peek;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.listen.AddressCounter;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.sni.ClientHelloPeek;
import co.airdress.relay.sni.Fixtures;
import co.airdress.relay.sni.HelloBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PeekHandlerTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 50000);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DataPathMetrics metrics = new DataPathMetrics(registry);
    private final AddressCounter peeking = new AddressCounter(2);

    private ConnectionRecord record(Listener l) {
        return new ConnectionRecord(l, CLIENT, System.nanoTime(), System.currentTimeMillis());
    }

    private EmbeddedChannel channel(ChannelHandler h) {
        return new EmbeddedChannel(h);
    }

    private double peeks(String listener, String result) {
        return registry.get("relay.peek")
                .tags("listener", listener, "result", result)
                .counter()
                .count();
    }

    @Test
    void passesTheWholeHelloOnWhateverTheSegmentation() {
        Fixtures.ClientHelloFixture f = Fixtures.clientHello("chromium");
        byte[] hello = f.bytes();
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(new TlsPeekHandler(
                r, metrics, peeking, Duration.ofSeconds(10), 16384, ClientHelloPeek.DEFAULT_MAX_BYTES));
        assertThat(peeking.count(CLIENT.getAddress())).isEqualTo(1);
        for (int i = 0; i < hello.length; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(hello, i, 1));
        }
        Peeked p = ch.readInbound();
        try {
            assertThat(p.host()).isEqualTo(f.sni());
            assertThat(p.alpn()).containsExactly("h2", "http/1.1");
            assertThat(ByteBufUtil.getBytes(p.content())).isEqualTo(hello);
            assertThat(p.recordVersion()).isEqualTo(0x0301);
        } finally {
            p.release();
        }
        assertThat(ch.pipeline().get(TlsPeekHandler.NAME)).isNull();
        assertThat(peeking.count(CLIENT.getAddress())).isZero();
        assertThat(r.host()).isEqualTo(f.sni());
        assertThat(peeks("tls", "sni_found")).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void replaysBytesThatFollowTheHelloInTheSameRead() {
        byte[] hello = Fixtures.clientHello("curl-openssl3").bytes();
        byte[] more = new byte[hello.length + 5];
        System.arraycopy(hello, 0, more, 0, hello.length);
        EmbeddedChannel ch = channel(new TlsPeekHandler(
                record(Listener.TLS),
                metrics,
                peeking,
                Duration.ofSeconds(10),
                16384,
                ClientHelloPeek.DEFAULT_MAX_BYTES));
        ch.writeInbound(Unpooled.wrappedBuffer(more));
        Peeked p = ch.readInbound();
        assertThat(p.content().readableBytes()).isEqualTo(more.length);
        p.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void noSniIsAnsweredWithHandshakeFailureAndClosed() {
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(new TlsPeekHandler(
                r, metrics, peeking, Duration.ofSeconds(10), 16384, ClientHelloPeek.DEFAULT_MAX_BYTES));
        ch.writeInbound(Unpooled.wrappedBuffer(
                Fixtures.clientHello("openssl-s_client-nosni").bytes()));
        ByteBuf alert = ch.readOutbound();
        assertThat(ByteBufUtil.getBytes(alert)).containsExactly(21, 3, 1, 0, 2, 2, 40);
        alert.release();
        assertThat(ch.isOpen()).isFalse();
        assertThat(r.outcome()).isEqualTo(Outcome.NO_HOST);
        assertThat(peeks("tls", "no_sni")).isEqualTo(1);
        assertThat(peeking.count(CLIENT.getAddress())).isZero();
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void notTlsIsClosedWithoutAnAnswer() {
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(new TlsPeekHandler(
                r, metrics, peeking, Duration.ofSeconds(10), 16384, ClientHelloPeek.DEFAULT_MAX_BYTES));
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isOpen()).isFalse();
        assertThat(r.outcome()).isEqualTo(Outcome.NOT_PROTOCOL);
        assertThat(peeks("tls", "not_tls")).isEqualTo(1);
    }

    @Test
    void theTimeoutRunsFromAcceptAndClosesATlsClient() {
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(new TlsPeekHandler(
                r, metrics, peeking, Duration.ofSeconds(10), 16384, ClientHelloPeek.DEFAULT_MAX_BYTES));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 3, 1}));
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(r.outcome()).isEqualTo(Outcome.PEEK_TIMEOUT);
        assertThat(peeks("tls", "timeout")).isEqualTo(1);
        assertThat(peeking.count(CLIENT.getAddress())).isZero();
    }

    @Test
    void anHttpHeadIsPassedOnWithItsHost() {
        Fixtures.HttpHeadFixture f = Fixtures.httpHead("curl");
        ConnectionRecord r = record(Listener.HTTP);
        EmbeddedChannel ch = channel(new HttpPeekHandler(r, metrics, peeking, Duration.ofSeconds(10), 16384));
        byte[] head = f.bytes();
        ch.writeInbound(Unpooled.wrappedBuffer(head, 0, 10));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.wrappedBuffer(head, 10, head.length - 10));
        Peeked p = ch.readInbound();
        assertThat(p.host()).isEqualTo(f.host());
        assertThat(p.alpn()).isEmpty();
        assertThat(ByteBufUtil.getBytes(p.content())).isEqualTo(head);
        p.release();
        assertThat(ch.pipeline().get(HttpPeekHandler.NAME)).isNull();
        assertThat(peeks("http", "host_found")).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aSlowHttpClientGets408() {
        ConnectionRecord r = record(Listener.HTTP);
        EmbeddedChannel ch = channel(new HttpPeekHandler(r, metrics, peeking, Duration.ofSeconds(3), 16384));
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.copiedBuffer("Ho", StandardCharsets.US_ASCII));
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 408 Request Timeout\r\n");
        answer.release();
        assertThat(r.outcome()).isEqualTo(Outcome.PEEK_TIMEOUT);
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeadOverTheLimitGets431() {
        ConnectionRecord r = record(Listener.HTTP);
        EmbeddedChannel ch = channel(new HttpPeekHandler(r, metrics, peeking, Duration.ofSeconds(3), 1024));
        ch.writeInbound(
                Unpooled.copiedBuffer("GET / HTTP/1.1\r\nX: " + "a".repeat(2000) + "\r\n", StandardCharsets.US_ASCII));
        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(StandardCharsets.US_ASCII))
                .startsWith("HTTP/1.1 431 ")
                .contains("Connection: close\r\n");
        answer.release();
        assertThat(r.outcome()).isEqualTo(Outcome.TOO_LARGE);
        assertThat(peeks("http", "too_large")).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void aHelloInTinyRecordsIsRefusedOnceTheBytesReceivedPassTheBound() {
        // A real hello within a 4 KiB cap, re-framed into 1-byte records: six times its size on the
        // wire. The bound counts what was received, record headers included.
        byte[] handshake = HelloBuilder.unframe(Fixtures.clientHello("chromium").bytes());
        byte[] wire = HelloBuilder.records(handshake, 1);
        int bound = ClientHelloPeek.maxBytesFor(4096);
        assertThat(handshake.length).isLessThan(4096);
        assertThat(wire.length).isGreaterThan(bound);
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(new TlsPeekHandler(r, metrics, peeking, Duration.ofSeconds(10), 4096, bound));
        for (int i = 0; i < bound - 1; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(wire, i, 1));
        }
        assertThat((Object) ch.readOutbound()).as("no answer within the bound").isNull();
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(Unpooled.wrappedBuffer(wire, bound - 1, 1));
        ByteBuf alert = ch.readOutbound();
        assertThat(ByteBufUtil.getBytes(alert)).containsExactly(21, 3, 1, 0, 2, 2, 40);
        alert.release();
        assertThat(r.outcome()).isEqualTo(Outcome.TOO_LARGE);
        assertThat(peeks("tls", "too_large")).isEqualTo(1);
        assertThat(peeking.count(CLIENT.getAddress())).isZero();
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();

        // The same hello in records of 64 bytes fits and is routed.
        byte[] fits = HelloBuilder.records(handshake, 64);
        EmbeddedChannel ok = channel(
                new TlsPeekHandler(record(Listener.TLS), metrics, peeking, Duration.ofSeconds(10), 4096, bound));
        ok.writeInbound(Unpooled.wrappedBuffer(fits));
        Peeked p = ok.readInbound();
        assertThat(p.host()).isEqualTo(Fixtures.clientHello("chromium").sni());
        assertThat(ByteBufUtil.getBytes(p.content())).isEqualTo(fits);
        p.release();
        assertThat(ok.finish()).isFalse();
    }

    @Test
    void aMalformedHeadGets400() {
        ConnectionRecord r = record(Listener.HTTP);
        EmbeddedChannel ch = channel(new HttpPeekHandler(r, metrics, peeking, Duration.ofSeconds(3), 1024));
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", StandardCharsets.US_ASCII));
        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 400 Bad Request\r\n");
        answer.release();
        assertThat(r.outcome()).isEqualTo(Outcome.MALFORMED);
        ch.finishAndReleaseAll();
    }

    @Test
    void overThePeekingLimitClosesWithoutReading() {
        AddressCounter one = new AddressCounter(1);
        assertThat(one.acquire(CLIENT.getAddress())).isNotNull();
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(
                new TlsPeekHandler(r, metrics, one, Duration.ofSeconds(10), 16384, ClientHelloPeek.DEFAULT_MAX_BYTES));
        assertThat(ch.isOpen()).isFalse();
        assertThat(r.outcome()).isEqualTo(Outcome.OVER_LIMIT);
        assertThat(one.count(CLIENT.getAddress())).isEqualTo(1);
    }

    @Test
    void aClientThatStopsSendingMidHelloIsClosedAndNothingLeaks() {
        byte[] hello = Fixtures.clientHello("jdk25").bytes();
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = channel(new TlsPeekHandler(
                r, metrics, peeking, Duration.ofSeconds(10), 16384, ClientHelloPeek.DEFAULT_MAX_BYTES));
        ch.writeInbound(Unpooled.wrappedBuffer(hello, 0, 100));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(ch.isOpen()).isFalse();
        assertThat(r.outcome()).isEqualTo(Outcome.PEEK_CLOSED);
        assertThat(peeking.count(CLIENT.getAddress())).isZero();
        assertThat(ch.finish()).isFalse();
    }
}
