package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.cookie.CookieChecker;
import co.airdress.relay.tunnel.ratelimit.HandshakeRateLimiter;
import co.airdress.relay.tunnel.ratelimit.LoadMonitor;
import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import org.jspecify.annotations.Nullable;

/**
 * The gate in front of every initiation and response (wireguard-go {@code receive.go}): MAC1
 * first (cheap, and proves the sender knows our public key), then, while the device is under load,
 * MAC2 or a cookie reply instead of processing, then the per-source rate limit (sources being IPv4
 * addresses and IPv6 prefixes, {@link SourcePrefix}). Owner thread only.
 */
final class HandshakeAdmission {

    private final CookieChecker cookieChecker;
    private final LoadMonitor loadMonitor;
    /** Sources (IPv4 addresses, IPv6 prefixes) the rate limiter holds; a full table evicts the least recent. */
    static final int MAX_SOURCES = 65536;

    private final HandshakeRateLimiter rateLimiter;
    private final SecureRandom random;

    HandshakeAdmission(
            WireGuardKey publicKey,
            long cookieRefreshNanos,
            int handshakesPerSecondBeforeCookies,
            int ipv6SourcePrefix,
            SecureRandom random) {
        this.rateLimiter = new HandshakeRateLimiter(MAX_SOURCES, new SourcePrefix(ipv6SourcePrefix));
        this.cookieChecker = new CookieChecker(publicKey.unsafeBytes(), cookieRefreshNanos);
        this.loadMonitor = new LoadMonitor(handshakesPerSecondBeforeCookies);
        this.random = random;
    }

    /**
     * Null when handshake message {@code msg} from {@code from} may be processed; otherwise why not.
     * A message refused for want of a cookie has been answered with a cookie reply to
     * {@code senderIndex} through {@code out}.
     */
    @Nullable
    Drop check(InetSocketAddress from, int socket, byte[] msg, int senderIndex, long now, TunnelSink out) {
        if (!cookieChecker.checkMac1(msg)) {
            return Drop.MAC1_INVALID;
        }
        if (!loadMonitor.onHandshakeMessage(now)) {
            return null;
        }
        byte[] ip = from.getAddress().getAddress(); // one copy, for the cookie and the rate limiter
        byte[] source = sourceBytes(ip, from.getPort());
        if (!cookieChecker.checkMac2(msg, source, now)) {
            byte[] reply = cookieChecker.createReply(msg, senderIndex, source, now, random);
            out.sendDatagram(socket, from, Unpooled.wrappedBuffer(reply));
            return Drop.COOKIE_REQUIRED;
        }
        if (!rateLimiter.allow(ip, now)) {
            return Drop.RATE_LIMITED;
        }
        return null;
    }

    /** The cookie's input: the source IP's bytes, then the port (big-endian). */
    private static byte[] sourceBytes(byte[] ip, int port) {
        byte[] out = new byte[ip.length + 2];
        System.arraycopy(ip, 0, out, 0, ip.length);
        out[ip.length] = (byte) (port >>> 8);
        out[ip.length + 1] = (byte) port;
        return out;
    }
}
