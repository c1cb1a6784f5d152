package co.airdress.relay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyHeaderTest {

    /** An embedded channel that claims real socket addresses, like an accepted connection. */
    private static EmbeddedChannel client(InetSocketAddress remote, InetSocketAddress local) {
        return new EmbeddedChannel() {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }

            @Override
            protected SocketAddress localAddress0() {
                return local;
            }
        };
    }

    /** Writes the header the way the dial step does and decodes it with Netty's decoder. */
    private static HAProxyMessage roundTrip(HAProxyMessage message) {
        EmbeddedChannel upstream = new EmbeddedChannel();
        ProxyHeader.write(upstream, message);
        upstream.flush();
        ByteBuf wire = upstream.readOutbound();
        assertThat(upstream.pipeline().names()).doesNotContain("proxy-encoder");
        EmbeddedChannel decoder = new EmbeddedChannel(new HAProxyMessageDecoder());
        decoder.writeInbound(wire);
        HAProxyMessage decoded = decoder.readInbound();
        assertThat(decoder.finish()).isFalse();
        upstream.finishAndReleaseAll();
        return decoded;
    }

    @Test
    void v2CarriesTheClientAddressAuthorityAlpnAndPop() {
        Channel c = client(new InetSocketAddress("198.51.100.7", 40123), new InetSocketAddress("203.0.113.1", 443));
        HAProxyMessage m = ProxyHeader.message(
                ProxyProtocol.V2, c, "alice.example.test", List.of("h2", "http/1.1"), "ams1", ByteBufAllocator.DEFAULT);
        HAProxyMessage d = roundTrip(m);
        try {
            assertThat(d.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
            assertThat(d.sourceAddress()).isEqualTo("198.51.100.7");
            assertThat(d.sourcePort()).isEqualTo(40123);
            assertThat(d.destinationAddress()).isEqualTo("203.0.113.1");
            assertThat(d.destinationPort()).isEqualTo(443);
            assertThat(d.tlvs()).extracting(HAProxyTLV::typeByteValue).containsExactly((byte) 0x02, (byte) 0x01, (byte)
                    0xE0);
            assertThat(d.tlvs().get(0).content().toString(StandardCharsets.US_ASCII))
                    .isEqualTo("alice.example.test");
            assertThat(d.tlvs().get(1).content().toString(StandardCharsets.US_ASCII))
                    .isEqualTo("h2,http/1.1");
            assertThat(d.tlvs().get(2).content().toString(StandardCharsets.US_ASCII))
                    .isEqualTo("ams1");
        } finally {
            d.release();
            c.close();
        }
    }

    @Test
    void v2WithoutAlpnOmitsThatTlvAndMixedFamiliesBecomeIpv6() {
        Channel c = client(new InetSocketAddress("198.51.100.7", 1), new InetSocketAddress("2001:db8::1", 80));
        HAProxyMessage d = roundTrip(
                ProxyHeader.message(ProxyProtocol.V2, c, "h.example", List.of(), "p", ByteBufAllocator.DEFAULT));
        try {
            assertThat(d.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP6);
            assertThat(d.sourceAddress()).isEqualTo("0:0:0:0:0:ffff:c633:6407");
            assertThat(d.tlvs()).extracting(HAProxyTLV::typeByteValue).containsExactly((byte) 0x02, (byte) 0xE0);
        } finally {
            d.release();
            c.close();
        }
    }

    @Test
    void v2WithAnIpv6ClientAndDestinationIsTcp6WithBothAddresses() {
        Channel c = client(new InetSocketAddress("2001:db8:100::2", 51000), new InetSocketAddress("2001:db8::1", 443));
        HAProxyMessage d = roundTrip(ProxyHeader.message(
                ProxyProtocol.V2, c, "demo.example.test", List.of("h2"), "pop1", ByteBufAllocator.DEFAULT));
        try {
            assertThat(d.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP6);
            assertThat(d.sourceAddress()).isEqualTo("2001:db8:100:0:0:0:0:2");
            assertThat(d.sourcePort()).isEqualTo(51000);
            assertThat(d.destinationAddress()).isEqualTo("2001:db8:0:0:0:0:0:1");
            assertThat(d.destinationPort()).isEqualTo(443);
            assertThat(d.tlvs()).extracting(HAProxyTLV::typeByteValue).containsExactly((byte) 0x02, (byte) 0x01, (byte)
                    0xE0);
        } finally {
            d.release();
            c.close();
        }
    }

    @Test
    void v1CarriesTheAddressesOnly() {
        Channel c = client(new InetSocketAddress("2001:db8::7", 5555), new InetSocketAddress("2001:db8::1", 443));
        HAProxyMessage m =
                ProxyHeader.message(ProxyProtocol.V1, c, "h.example", List.of("h2"), "p", ByteBufAllocator.DEFAULT);
        EmbeddedChannel upstream = new EmbeddedChannel();
        ProxyHeader.write(upstream, m);
        upstream.flush();
        ByteBuf wire = upstream.readOutbound();
        assertThat(wire.toString(StandardCharsets.US_ASCII))
                .isEqualTo("PROXY TCP6 2001:db8:0:0:0:0:0:7 2001:db8:0:0:0:0:0:1 5555 443\r\n");
        wire.release();
        assertThat(ProxyHeader.message(ProxyProtocol.NONE, c, "h", List.of(), "p", ByteBufAllocator.DEFAULT))
                .isNull();
        upstream.finishAndReleaseAll();
        c.close();
    }
}
