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
 * the spec leaves to applications) with this PoP's name in ASCII.
 */
public final class ProxyHeader {

    /** Application-range TLV carrying the PoP name. */
    public static final int TLV_POP = 0xE0;

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
        InetSocketAddress src = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress dst = (InetSocketAddress) client.localAddress();
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
        List<HAProxyTLV> tlvs = new ArrayList<>(3);
        tlvs.add(new HAProxyTLV(
                HAProxyTLV.Type.PP2_TYPE_AUTHORITY,
                alloc.buffer(authority.length()).writeBytes(authority.getBytes(StandardCharsets.US_ASCII))));
        if (!alpn.isEmpty()) {
            byte[] a = String.join(",", alpn).getBytes(StandardCharsets.US_ASCII);
            tlvs.add(new HAProxyTLV(
                    HAProxyTLV.Type.PP2_TYPE_ALPN, alloc.buffer(a.length).writeBytes(a)));
        }
        byte[] p = pop.getBytes(StandardCharsets.US_ASCII);
        tlvs.add(new HAProxyTLV((byte) TLV_POP, alloc.buffer(p.length).writeBytes(p)));
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
