package co.airdress.relay.splice;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.listen.Listener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SpliceTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Counter in = registry.counter("in");
    private final Counter out = registry.counter("out");
    private final ConnectionRecord record =
            new ConnectionRecord(Listener.TLS, new InetSocketAddress("192.0.2.1", 1), System.nanoTime(), 0);

    private static final class Placeholder extends ChannelInboundHandlerAdapter {}

    private EmbeddedChannel[] splice(Duration idle) {
        Placeholder dial = new Placeholder();
        EmbeddedChannel client = new EmbeddedChannel(dial);
        RelayBackendHandler back = new RelayBackendHandler(record, out);
        EmbeddedChannel upstream = new EmbeddedChannel(back);
        Splice.start(client, dial, new RelayFrontendHandler(record, in), upstream, back, idle);
        return new EmbeddedChannel[] {client, upstream};
    }

    @Test
    void relaysBothWaysAndCounts() {
        EmbeddedChannel[] c = splice(Duration.ofMinutes(1));
        assertThat(c[0].pipeline().get(Placeholder.class)).isNull();
        assertThat(c[0].pipeline().get(Splice.IDLE)).isInstanceOf(IdleStateHandler.class);
        c[0].writeInbound(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        ByteBuf up = c[1].readOutbound();
        assertThat(up.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        up.release();
        c[1].writeInbound(Unpooled.copiedBuffer("world!", StandardCharsets.US_ASCII));
        ByteBuf down = c[0].readOutbound();
        assertThat(down.toString(StandardCharsets.US_ASCII)).isEqualTo("world!");
        down.release();
        assertThat(record.clientToUpstream()).isEqualTo(5);
        assertThat(record.upstreamToClient()).isEqualTo(6);
        assertThat(in.count()).isEqualTo(5);
        assertThat(out.count()).isEqualTo(6);
        assertThat(c[0].finishAndReleaseAll()).isFalse();
        assertThat(c[1].isOpen()).isFalse();
        c[1].finishAndReleaseAll();
    }

    @Test
    void closingOneSideClosesTheOtherAfterFlushing() {
        EmbeddedChannel[] c = splice(Duration.ofMinutes(1));
        c[1].writeInbound(Unpooled.copiedBuffer("last words", StandardCharsets.US_ASCII));
        c[1].close();
        ByteBuf down = c[0].readOutbound();
        assertThat(down.toString(StandardCharsets.US_ASCII)).isEqualTo("last words");
        down.release();
        assertThat(c[0].isOpen()).isFalse();
        c[0].finishAndReleaseAll();
    }

    @Test
    void endOfInputOnANonDuplexPeerClosesIt() {
        EmbeddedChannel[] c = splice(Duration.ofMinutes(1));
        c[0].pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(c[1].isOpen()).isFalse();
        c[0].finishAndReleaseAll();
        c[1].finishAndReleaseAll();
    }

    @Test
    void theIdleTimeoutClosesBoth() {
        EmbeddedChannel[] c = splice(Duration.ofSeconds(30));
        record.outcome(Outcome.RELAYED);
        c[0].advanceTimeBy(31, TimeUnit.SECONDS);
        c[0].runScheduledPendingTasks();
        assertThat(c[0].isOpen()).isFalse();
        assertThat(c[1].isOpen()).isFalse();
        assertThat(record.outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
        c[0].finishAndReleaseAll();
        c[1].finishAndReleaseAll();
    }
}
