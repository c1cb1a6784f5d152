package co.airdress.relay.backhaul;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.access.AccessLog;
import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.BackhaulConfig;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.dial.OperatorDialer;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.listen.RelayInitializer;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.proxy.ProxyHeader;
import co.airdress.relay.proxy.ProxyV2Decoder;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.WireGuardKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The accept side of the backhaul, on embedded channels: admission, header, routing, delivery. */
class BackhaulHeaderHandlerTest {

    static final InetSocketAddress CLIENT = new InetSocketAddress("198.51.100.7", 40123);
    static final InetSocketAddress VIP = new InetSocketAddress("192.0.2.1", 80);
    static final String REQUEST = "GET / HTTP/1.1\r\nHost: demo.example.test\r\n\r\n";

    private static final Operator DEMO = new Operator(
            "demo",
            List.of("demo.example.test"),
            new Upstream(new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.1", 2)),
            ProxyProtocol.V2);

    /** A dialer whose connect the test completes, like DialHandlerTest's. */
    static final class PendingDialer implements OperatorDialer {
        EmbeddedChannel upstream;
        ChannelPromise connect;

        @Override
        public ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend) {
            upstream = new EmbeddedChannel(backend);
            connect = upstream.newPromise();
            return connect;
        }
    }

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BackhaulMetrics metrics = new BackhaulMetrics(registry);
    private final PendingDialer local = new PendingDialer();
    private Attachment attachment = Attachment.LOCAL;

    private BackhaulServer.Inbound inbound(int maxHeader) {
        BackhaulConfig config = new BackhaulConfig(
                "mesh0",
                Path.of("mesh.key"),
                List.of(IpPrefix.parse("100.127.0.2/24")),
                51821,
                new InetSocketAddress("203.0.113.2", 51821),
                7443,
                1420,
                BackhaulConfig.DEFAULT_TOPIC,
                8,
                Duration.ofSeconds(5),
                maxHeader);
        return new BackhaulServer.Inbound(
                config,
                metrics,
                new DataPathMetrics(registry),
                new AccessLog("pop2"),
                new Routes(RouteTable.of(List.of(DEMO), 1)),
                new DeliveringDialer(local, operator -> attachment, "pop2", metrics),
                "pop2",
                Duration.ofMinutes(1));
    }

    private EmbeddedChannel channel(int maxHeader) {
        return new EmbeddedChannel(new BackhaulHeaderHandler(inbound(maxHeader), "pop1"));
    }

    static byte[] header(String authority, String ingress) {
        return wire(ProxyHeader.message(
                ProxyProtocol.V2, CLIENT, VIP, authority, List.of(), null, ingress, ByteBufAllocator.DEFAULT));
    }

    static byte[] wire(HAProxyMessage m) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ProxyHeader.write(ch, m);
        ch.flush();
        ByteBuf b = ch.readOutbound();
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        ch.finishAndReleaseAll();
        return out;
    }

    private static ByteBuf bytes(byte[] a) {
        return Unpooled.wrappedBuffer(a);
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private double refusals(BackhaulMetrics.Refusal r) {
        return metrics.refusals(r);
    }

    @Test
    void aHeaderThenTheRequestIsDeliveredWithTheOriginalClient() {
        EmbeddedChannel ch = channel(1024);
        byte[] h = header("demo.example.test", "pop1");
        // the header in two pieces, the request after it in the second
        ch.writeInbound(bytes(java.util.Arrays.copyOf(h, 5)));
        assertThat(local.upstream).isNull();
        ByteBuf rest = Unpooled.buffer();
        rest.writeBytes(h, 5, h.length - 5);
        rest.writeCharSequence(REQUEST, StandardCharsets.US_ASCII);
        ch.writeInbound(rest);

        assertThat(local.upstream).as("dialed locally").isNotNull();
        ConnectionRecord record = ch.attr(RelayInitializer.RECORD).get();
        assertThat(record.client()).isEqualTo(CLIENT);
        assertThat(record.ingressPop()).isEqualTo("pop1");
        assertThat(record.listener()).isEqualTo(Listener.HTTP);
        assertThat(record.operator()).isEqualTo(DEMO);
        assertThat(registry.get("relay.backhaul.connections")
                        .tags("direction", "in", "pop", "pop1")
                        .counter()
                        .count())
                .isEqualTo(1);

        local.connect.setSuccess();
        ByteBuf sent = Unpooled.buffer();
        for (Object m; (m = local.upstream.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) m;
            sent.writeBytes(b);
            b.release();
        }
        ProxyV2Decoder d = new ProxyV2Decoder(1024);
        assertThat(d.feed(sent)).isEqualTo(ProxyV2Decoder.Status.DONE);
        ProxyV2Decoder.Header op = d.header();
        assertThat(op.source()).isEqualTo(CLIENT);
        assertThat(op.destination()).isEqualTo(VIP);
        assertThat(op.authority()).isEqualTo("demo.example.test");
        assertThat(op.pop()).isEqualTo("pop2");
        assertThat(op.ingressPop()).isEqualTo("pop1");
        sent.skipBytes(d.usedOfLast());
        assertThat(sent.toString(StandardCharsets.US_ASCII)).isEqualTo(REQUEST);
        sent.release();
        ch.close();
        local.upstream.finishAndReleaseAll();
        ch.finishAndReleaseAll();
    }

    @Test
    void aTlsRecordAfterTheHeaderIsTheTlsListener() {
        EmbeddedChannel ch = channel(1024);
        ch.writeInbound(bytes(header("demo.example.test", "pop1")));
        ch.writeInbound(bytes(new byte[] {0x16, 0x03}));
        assertThat(local.upstream).as("the record version is not known yet").isNull();
        ch.writeInbound(bytes(new byte[] {0x01, 0x00, 0x05}));
        assertThat(ch.attr(RelayInitializer.RECORD).get().listener()).isEqualTo(Listener.TLS);
        ch.close();
        local.connect.setFailure(new java.net.ConnectException("test: never connected"));
        local.upstream.finishAndReleaseAll();
        ch.finishAndReleaseAll();
    }

    @Test
    void noHeaderInTimeIsClosed() {
        EmbeddedChannel ch = channel(1024);
        ch.writeInbound(bytes(java.util.Arrays.copyOf(header("demo.example.test", "pop1"), 20)));
        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(refusals(BackhaulMetrics.Refusal.HEADER_TIMEOUT)).isEqualTo(1);
        assertThat(local.upstream).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeaderOverTheBoundIsClosedAfterItsFixedPart() {
        byte[] h = header("demo.example.test", "pop1");
        EmbeddedChannel ch = new EmbeddedChannel(new BackhaulHeaderHandler(inbound(h.length - 1), "pop1"));
        ch.writeInbound(bytes(java.util.Arrays.copyOf(h, ProxyV2Decoder.FIXED)));
        assertThat(ch.isOpen()).isFalse();
        assertThat(refusals(BackhaulMetrics.Refusal.HEADER_TOO_BIG)).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void notAHeaderOrOneWithoutTheIngressPopIsClosed() {
        EmbeddedChannel plain = channel(1024);
        plain.writeInbound(ascii(REQUEST));
        assertThat(plain.isOpen()).isFalse();
        EmbeddedChannel noIngress = channel(1024);
        noIngress.writeInbound(bytes(wire(ProxyHeader.message(
                ProxyProtocol.V2,
                CLIENT,
                VIP,
                "demo.example.test",
                List.of(),
                "pop1",
                null,
                ByteBufAllocator.DEFAULT))));
        assertThat(noIngress.isOpen()).isFalse();
        assertThat(refusals(BackhaulMetrics.Refusal.HEADER_MALFORMED)).isEqualTo(2);
        plain.finishAndReleaseAll();
        noIngress.finishAndReleaseAll();
    }

    @Test
    void anOperatorAttachedElsewhereIsNotBackhauledAgain() {
        attachment = new Attachment.AtPop("pop3");
        EmbeddedChannel ch = channel(1024);
        ch.writeInbound(bytes(header("demo.example.test", "pop1")));
        ch.writeInbound(ascii(REQUEST));
        assertThat(local.upstream).as("no dial").isNull();
        assertThat(refusals(BackhaulMetrics.Refusal.NOT_LOCAL)).isEqualTo(1);
        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 502");
        answer.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void anUnknownHostIsAnswered404() {
        EmbeddedChannel ch = channel(1024);
        ch.writeInbound(bytes(header("other.example.test", "pop1")));
        ch.writeInbound(ascii("GET / HTTP/1.1\r\nHost: other.example.test\r\n\r\n"));
        ByteBuf answer = ch.readOutbound();
        assertThat(answer.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 404");
        answer.release();
        ch.finishAndReleaseAll();
    }

    /** An embedded channel that claims a real remote address, like an accepted connection. */
    private static EmbeddedChannel from(InetSocketAddress remote) {
        return new EmbeddedChannel(false, false) {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
    }

    @Test
    void onlyMeshPeersAreAdmitted() throws Exception {
        PopTable pops = new PopTable("pop2", 8);
        pops.put(new PopAnnouncement(
                "pop1",
                WireGuardKey.of(new byte[32]),
                List.of(InetAddress.getByName("100.127.0.1")),
                new InetSocketAddress("203.0.113.1", 51821)));
        ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        BackhaulInitializer init = new BackhaulInitializer(inbound(1024), pops, connections);

        EmbeddedChannel stranger = from(new InetSocketAddress("100.127.0.9", 5000));
        stranger.pipeline().addLast(init);
        stranger.register();
        assertThat(stranger.isOpen()).isFalse();
        assertThat(refusals(BackhaulMetrics.Refusal.NOT_A_PEER)).isEqualTo(1);

        EmbeddedChannel peer = from(new InetSocketAddress("100.127.0.1", 5000));
        peer.pipeline().addLast(init);
        peer.register();
        assertThat(peer.isOpen()).isTrue();
        assertThat(peer.pipeline().get(BackhaulHeaderHandler.NAME)).isNotNull();
        assertThat(List.copyOf(connections)).containsExactly(peer); // a drain waits for the peer's, not the stranger's
        peer.finishAndReleaseAll();
        stranger.finishAndReleaseAll();
    }
}
