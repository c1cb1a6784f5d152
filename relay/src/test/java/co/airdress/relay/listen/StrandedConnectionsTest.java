package co.airdress.relay.listen;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.access.Outcome;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RelayServer#closeWhere}: what a drain closes at once, on each connection's event loop. */
class StrandedConnectionsTest {

    /** A connection of {@code group} (each its own id: a group holds one channel per id). */
    private static EmbeddedChannel connection(ChannelGroup group, boolean throughTunnel) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance());
        ConnectionRecord r = new ConnectionRecord(Listener.HTTP, new InetSocketAddress("192.0.2.7", 40000), 0, 0);
        r.throughTunnel(throughTunnel);
        ch.attr(RelayInitializer.RECORD).set(r);
        group.add(ch);
        return ch;
    }

    @Test
    void closesTheConnectionsThroughTheTunnelThePredicateHoldsForAndNothingElse() {
        ChannelGroup group = new DefaultChannelGroup("test", GlobalEventExecutor.INSTANCE);
        EmbeddedChannel stranded = connection(group, true);
        EmbeddedChannel kept = connection(group, true);
        EmbeddedChannel notThroughTunnel = connection(group, false);
        EmbeddedChannel noRecord = new EmbeddedChannel(DefaultChannelId.newInstance());
        group.add(noRecord);

        RelayServer.closeWhere(
                group,
                r -> r == stranded.attr(RelayInitializer.RECORD).get()
                        || r == notThroughTunnel.attr(RelayInitializer.RECORD).get());
        // nothing happens off the connections' event loops
        assertThat(stranded.isActive()).isTrue();
        for (EmbeddedChannel ch : new EmbeddedChannel[] {stranded, kept, notThroughTunnel, noRecord}) {
            ch.runPendingTasks();
        }

        assertThat(stranded.isActive()).isFalse();
        assertThat(stranded.attr(RelayInitializer.RECORD).get().outcome()).isEqualTo(Outcome.CLOSED);
        assertThat(kept.isActive()).isTrue();
        assertThat(notThroughTunnel.isActive())
                .as("not dialed through the tunnel")
                .isTrue();
        assertThat(noRecord.isActive()).isTrue();
        assertThat(List.copyOf(group)).containsExactlyInAnyOrder(kept, notThroughTunnel, noRecord);

        RelayServer.closeWhere(group, null); // no predicate: nothing
        kept.runPendingTasks();
        assertThat(kept.isActive()).isTrue();
        for (EmbeddedChannel ch : new EmbeddedChannel[] {kept, notThroughTunnel, noRecord}) {
            assertThat(ch.finishAndReleaseAll()).isFalse();
        }
    }
}
