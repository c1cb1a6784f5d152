package co.airdress.relay.tunnel.cookie;

import static co.airdress.relay.tunnel.noise.Messages.*;

import co.airdress.relay.tunnel.crypto.Aead;
import co.airdress.relay.tunnel.crypto.Blake2s;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The receiving side of WireGuard's MACs (wireguard-go {@code CookieChecker}): checks MAC1 of
 * every handshake message addressed to our public key, checks MAC2 against the cookie we would
 * give the source, and builds cookie replies. The cookie secret is random and replaced when older
 * than the cookie refresh time, driven by the supplied clock.
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class CookieChecker {

    static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final long refreshNanos;
    private final byte[] secret = new byte[32];
    private boolean secretSet;
    private long secretSetNanos;

    public CookieChecker(byte[] localPublicKey, long refreshNanos) {
        this.mac1Key = Blake2s.hash(LABEL_MAC1, localPublicKey);
        this.cookieKey = Blake2s.hash(LABEL_COOKIE, localPublicKey);
        this.refreshNanos = refreshNanos;
    }

    /** MAC1 over everything before it; {@code msg} is a whole initiation or response. */
    public boolean checkMac1(byte[] msg) {
        int mac1 = msg.length - 32;
        byte[] expected = Blake2s.mac(mac1Key, msg, 0, mac1);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(msg, mac1, mac1 + 16));
    }

    /** MAC2 keyed with the cookie of {@code source}; false once our secret has expired. */
    public boolean checkMac2(byte[] msg, byte[] source, long nowNanos) {
        if (!secretSet || nowNanos - secretSetNanos > refreshNanos) {
            return false;
        }
        byte[] cookie = Blake2s.mac(secret, source, 0, source.length);
        int mac2 = msg.length - 16;
        byte[] expected = Blake2s.mac(cookie, msg, 0, mac2);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(msg, mac2, mac2 + 16));
    }

    /** A 64-byte cookie reply to {@code msg} from {@code source}, addressed to {@code receiverIndex}. */
    public byte[] createReply(byte[] msg, int receiverIndex, byte[] source, long nowNanos, SecureRandom random) {
        if (!secretSet || nowNanos - secretSetNanos > refreshNanos) {
            random.nextBytes(secret);
            secretSet = true;
            secretSetNanos = nowNanos;
        }
        byte[] cookie = Blake2s.mac(secret, source, 0, source.length);
        byte[] reply = new byte[COOKIE_REPLY_LENGTH];
        reply[0] = TYPE_COOKIE_REPLY;
        putIntLE(reply, COOKIE_RECEIVER, receiverIndex);
        byte[] nonce = new byte[Aead.XNONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, COOKIE_NONCE, nonce.length);
        int mac1 = msg.length - 32;
        byte[] sealed = Aead.xseal(cookieKey, nonce, cookie, Arrays.copyOfRange(msg, mac1, mac1 + 16));
        System.arraycopy(sealed, 0, reply, COOKIE_SEALED, sealed.length);
        return reply;
    }
}
