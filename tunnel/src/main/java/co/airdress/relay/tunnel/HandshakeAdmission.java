package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.cookie.CookieChecker;
import co.airdress.relay.tunnel.ratelimit.HandshakeRateLimiter;
import co.airdress.relay.tunnel.ratelimit.LoadMonitor;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import org.jspecify.annotations.Nullable;

/**
 * The gate in front of every initiation and response (wireguard-go {@code receive.go}): MAC1
 * first (cheap, and proves the sender knows our public key), then, while the device is under load,
 * MAC2 or a cookie reply instead of processing, then the per-source rate limit. Owner thread only.
 */
final class HandshakeAdmission {

    private final CookieChecker cookieChecker;
    private final LoadMonitor loadMonitor;
    private final HandshakeRateLimiter rateLimiter = new HandshakeRateLimiter(65536);
    private final SecureRandom random;

    HandshakeAdmission(
            WireGuardKey publicKey,
            long cookieRefreshNanos,
            int handshakesPerSecondBeforeCookies,
            SecureRandom random) {
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
    Drop check(InetSocketAddress from, byte[] msg, int senderIndex, long now, TunnelSink out) {
        if (!cookieChecker.checkMac1(msg)) {
            return Drop.MAC1_INVALID;
        }
        if (!loadMonitor.onHandshakeMessage(now)) {
            return null;
        }
        byte[] source = sourceBytes(from);
        if (!cookieChecker.checkMac2(msg, source, now)) {
            byte[] reply = cookieChecker.createReply(msg, senderIndex, source, now, random);
            out.sendDatagram(from, Unpooled.wrappedBuffer(reply));
            return Drop.COOKIE_REQUIRED;
        }
        if (!rateLimiter.allow(from.getAddress(), now)) {
            return Drop.RATE_LIMITED;
        }
        return null;
    }

    /** The cookie's input: the source IP's bytes, then the port (big-endian). */
    private static byte[] sourceBytes(InetSocketAddress from) {
        byte[] ip = from.getAddress().getAddress();
        byte[] out = new byte[ip.length + 2];
        System.arraycopy(ip, 0, out, 0, ip.length);
        out[ip.length] = (byte) (from.getPort() >>> 8);
        out[ip.length + 1] = (byte) from.getPort();
        return out;
    }
}
