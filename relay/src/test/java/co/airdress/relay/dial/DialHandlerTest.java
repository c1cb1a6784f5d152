package co.airdress.relay.dial;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.peek.Peeked;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a client sends while its operator is being dialed (Netty reads it when the FIN comes). */
class DialHandlerTest {

    private static final Operator OPERATOR = new Operator(
            "alice",
            List.of("alice.example.test"),
            new Upstream(new InetSocketAddress("127.0.0.1", 1), null),
            ProxyProtocol.NONE);

    /** A dialer whose connect completes when the test says so. */
    private static final class PendingDialer implements OperatorDialer {
        EmbeddedChannel upstream;
        ChannelPromise connect;

        @Override
        public ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend) {
            upstream = new EmbeddedChannel(backend);
            connect = upstream.newPromise();
            return connect;
        }
    }

    private final PendingDialer dialer = new PendingDialer();

    private EmbeddedChannel client() {
        ConnectionRecord record =
                new ConnectionRecord(Listener.HTTP, null, System.nanoTime(), System.currentTimeMillis());
        record.operator(OPERATOR);
        return new EmbeddedChannel(new DialHandler(
                record, dialer, new DataPathMetrics(new SimpleMeterRegistry()), "test-pop", Duration.ofMinutes(1)));
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String drained(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) m;
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out.toString();
    }

    @Test
    void bytesAndTheEndOfInputReadDuringTheDialFollowThePeekedBytes() {
        EmbeddedChannel client = client();
        client.writeInbound(new Peeked("alice.example.test", List.of(), 0, ascii("GET / HTTP/1.0\r\n\r\n")));
        client.writeInbound(ascii("body-1 "));
        client.writeInbound(ascii("body-2"));
        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(dialer.upstream.outboundMessages())
                .as("nothing before the connect")
                .isEmpty();

        dialer.connect.setSuccess();

        assertThat(drained(dialer.upstream)).isEqualTo("GET / HTTP/1.0\r\n\r\nbody-1 body-2");
        // The client's end of input reached the upstream: an EmbeddedChannel cannot half-close,
        // so the splice closes it once flushed.
        assertThat(dialer.upstream.isOpen()).isFalse();
        // ...and the upstream's close closed the client, with nothing written back.
        assertThat(drained(client)).isEmpty();
        assertThat(client.isOpen()).isFalse();
        assertThat(client.finishAndReleaseAll()).isFalse();
    }

    @Test
    void heldBytesAreReleasedWhenTheClientLeavesDuringTheDial() {
        EmbeddedChannel client = client();
        client.writeInbound(new Peeked("alice.example.test", List.of(), 0, ascii("GET / HTTP/1.0\r\n\r\n")));
        ByteBuf held = ascii("body");
        client.writeInbound(held);

        client.close();

        assertThat(held.refCnt()).isZero();
        assertThat(dialer.upstream.isOpen()).as("the half-made upstream").isFalse();
        dialer.upstream.finishAndReleaseAll();
    }
}
