package co.airdress.relay.proxy;

import co.airdress.relay.config.ProxyProtocol;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The PROXY protocol header the relay writes before the replayed bytes: the client's real
 * address and port as source, the address and port it connected to as destination.
 *
 * <p>Version 2 adds TLVs: {@code 0x02} AUTHORITY (the SNI or Host the route was chosen by),
 * {@code 0x01} ALPN (the protocols the client offered, comma-separated, in its order; absent
 * when it offered none or on the HTTP listener), and {@value #TLV_POP} (in the 0xE0-0xEF range
 * the spec leaves to applications) with the name of the PoP that delivers to the operator (the
 * PoP writing the header), in ASCII. A connection that reached another PoP first and came over the
 * backhaul also carries {@value #TLV_INGRESS_POP} with the name of that ingress PoP; the header a
 * PoP writes on the backhaul itself carries only the ingress PoP.
 */
public final class ProxyHeader {

    /** Application-range TLV carrying the PoP name. */
    public static final int TLV_POP = 0xE0;

    /** Application-range TLV carrying the name of the PoP the client reached (the ingress PoP). */
    public static final int TLV_INGRESS_POP = 0xE1;

    private static final String ENCODER = "proxy-encoder";

    private ProxyHeader() {}

    /** Builds the header, or null for {@link ProxyProtocol#NONE}. Each message is written once (encoding consumes the TLVs). */
    public static @Nullable HAProxyMessage message(
            ProxyProtocol version,
            Channel client,
            String authority,
            List<String> alpn,
            String pop,
            ByteBufAllocator alloc) {
        if (version == ProxyProtocol.NONE) {
            return null;
        }
        return message(
                version,
                (InetSocketAddress) client.remoteAddress(),
                (InetSocketAddress) client.localAddress(),
                authority,
                alpn,
                pop,
                null,
                alloc);
    }

    /**
     * Builds the header for a client at {@code src} that connected to {@code dst} (a backhauled
     * connection's original addresses), or null for {@link ProxyProtocol#NONE}.
     *
     * @param pop the delivering PoP's name (TLV {@value #TLV_POP}), or null for none
     * @param ingressPop the ingress PoP's name (TLV {@value #TLV_INGRESS_POP}), or null for none
     */
    public static @Nullable HAProxyMessage message(
            ProxyProtocol version,
            InetSocketAddress src,
            InetSocketAddress dst,
            String authority,
            List<String> alpn,
            @Nullable String pop,
            @Nullable String ingressPop,
            ByteBufAllocator alloc) {
        if (version == ProxyProtocol.NONE) {
            return null;
        }
        InetAddress s = src.getAddress();
        InetAddress d = dst.getAddress();
        boolean v4 = s instanceof Inet4Address && d instanceof Inet4Address;
        HAProxyProxiedProtocol family = v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6;
        String srcText = v4 ? s.getHostAddress() : v6(s);
        String dstText = v4 ? d.getHostAddress() : v6(d);
        if (version == ProxyProtocol.V1) {
            return new HAProxyMessage(
                    HAProxyProtocolVersion.V1,
                    HAProxyCommand.PROXY,
                    family,
                    srcText,
                    dstText,
                    src.getPort(),
                    dst.getPort());
        }
        List<HAProxyTLV> tlvs = new ArrayList<>(4);
        tlvs.add(new HAProxyTLV(
                HAProxyTLV.Type.PP2_TYPE_AUTHORITY,
                alloc.buffer(authority.length()).writeBytes(authority.getBytes(StandardCharsets.US_ASCII))));
        if (!alpn.isEmpty()) {
            byte[] a = String.join(",", alpn).getBytes(StandardCharsets.US_ASCII);
            tlvs.add(new HAProxyTLV(
                    HAProxyTLV.Type.PP2_TYPE_ALPN, alloc.buffer(a.length).writeBytes(a)));
        }
        if (pop != null) {
            byte[] p = pop.getBytes(StandardCharsets.US_ASCII);
            tlvs.add(new HAProxyTLV((byte) TLV_POP, alloc.buffer(p.length).writeBytes(p)));
        }
        if (ingressPop != null) {
            byte[] p = ingressPop.getBytes(StandardCharsets.US_ASCII);
            tlvs.add(new HAProxyTLV(
                    (byte) TLV_INGRESS_POP, alloc.buffer(p.length).writeBytes(p)));
        }
        return new HAProxyMessage(
                HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY,
                family,
                srcText,
                dstText,
                src.getPort(),
                dst.getPort(),
                tlvs);
    }

    /**
     * Writes (without flushing) the header to {@code upstream}; call on its event loop. The
     * encoder is in the pipeline only for this write.
     */
    public static void write(Channel upstream, HAProxyMessage message) {
        upstream.pipeline().addFirst(ENCODER, HAProxyMessageEncoder.INSTANCE);
        try {
            upstream.write(message, upstream.voidPromise());
        } finally {
            upstream.pipeline().remove(ENCODER);
        }
    }

    /** An IPv6 text form; an IPv4 address becomes IPv4-mapped so both ends share a family. */
    private static String v6(InetAddress a) {
        if (a instanceof Inet4Address) {
            return "::ffff:" + a.getHostAddress();
        }
        String s = a.getHostAddress();
        int scope = s.indexOf('%');
        return scope < 0 ? s : s.substring(0, scope);
    }
}
