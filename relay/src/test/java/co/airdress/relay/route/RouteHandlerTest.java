package co.airdress.relay.route;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.peek.Peeked;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteHandlerTest {

    private final Operator alice = new Operator(
            "alice",
            List.of("*.alice.example.test"),
            new Upstream(null, new InetSocketAddress("127.0.0.1", 8443)),
            ProxyProtocol.NONE);
    private final Routes routes = new Routes(RouteTable.of(List.of(alice), 1));

    private static ConnectionRecord record(Listener l) {
        return new ConnectionRecord(l, new InetSocketAddress("192.0.2.1", 1), System.nanoTime(), 0);
    }

    @Test
    void aKnownHostIsPassedOnWithItsOperator() {
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = new EmbeddedChannel(new RouteHandler(r, routes));
        ch.writeInbound(
                new Peeked("www.alice.example.test", List.of(), 0x0301, Unpooled.wrappedBuffer(new byte[] {1, 2})));
        Peeked p = ch.readInbound();
        assertThat(ByteBufUtil.getBytes(p.content())).containsExactly(1, 2);
        p.release();
        assertThat(r.operator()).isSameAs(alice);
        assertThat(ch.pipeline().get(RouteHandler.NAME)).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void anUnknownHostGetsUnrecognizedName() {
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = new EmbeddedChannel(new RouteHandler(r, routes));
        ch.writeInbound(new Peeked("alice.example.test", List.of(), 0x0301, Unpooled.wrappedBuffer(new byte[] {1})));
        ByteBuf alert = ch.readOutbound();
        assertThat(ByteBufUtil.getBytes(alert)).containsExactly(21, 3, 1, 0, 2, 2, 112);
        alert.release();
        assertThat(r.outcome()).isEqualTo(Outcome.UNKNOWN_HOST);
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void anOperatorWithoutAnUpstreamForTheListenerIsUnknownThere() {
        ConnectionRecord r = record(Listener.HTTP);
        EmbeddedChannel ch = new EmbeddedChannel(new RouteHandler(r, routes));
        ch.writeInbound(new Peeked("www.alice.example.test", List.of(), 0, Unpooled.wrappedBuffer(new byte[] {1})));
        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(java.nio.charset.StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 404 ");
        answer.release();
        assertThat(r.outcome()).isEqualTo(Outcome.UNKNOWN_HOST);
        ch.finishAndReleaseAll();
    }

    @Test
    void theTableInForceAtLookupDecides() {
        ConnectionRecord r = record(Listener.TLS);
        EmbeddedChannel ch = new EmbeddedChannel(new RouteHandler(r, routes));
        routes.replace(RouteTable.empty());
        ch.writeInbound(
                new Peeked("www.alice.example.test", List.of(), 0x0303, Unpooled.wrappedBuffer(new byte[] {1})));
        assertThat(r.outcome()).isEqualTo(Outcome.UNKNOWN_HOST);
        ch.finishAndReleaseAll();
    }
}
