package co.airdress.relay.tunnel.cookie;

import static co.airdress.relay.tunnel.noise.Messages.*;

import co.airdress.relay.tunnel.crypto.Aead;
import co.airdress.relay.tunnel.crypto.Blake2s;
import java.util.Arrays;

/**
 * The sending side of WireGuard's MACs for one peer (wireguard-go {@code CookieGenerator}): adds
 * MAC1 (keyed by the peer's public key) and, while a cookie from that peer is fresh, MAC2; remembers
 * the last MAC1 sent so a cookie reply can be opened.
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class CookieGenerator {

    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final long refreshNanos;
    private final byte[] lastMac1 = new byte[16];
    private boolean hasLastMac1;
    private final byte[] cookie = new byte[16];
    private boolean cookieSet;
    private long cookieSetNanos;

    public CookieGenerator(byte[] remotePublicKey, long refreshNanos) {
        this.mac1Key = Blake2s.hash(CookieChecker.LABEL_MAC1, remotePublicKey);
        this.cookieKey = Blake2s.hash(CookieChecker.LABEL_COOKIE, remotePublicKey);
        this.refreshNanos = refreshNanos;
    }

    /** Fills the last 32 bytes of {@code msg} with MAC1 and MAC2 (zeros without a fresh cookie). */
    public void addMacs(byte[] msg, long nowNanos) {
        int mac1 = msg.length - 32;
        int mac2 = msg.length - 16;
        Blake2s.mac(mac1Key, msg, 0, mac1, msg, mac1);
        System.arraycopy(msg, mac1, lastMac1, 0, 16);
        hasLastMac1 = true;
        if (cookieSet && nowNanos - cookieSetNanos < refreshNanos) {
            Blake2s.mac(cookie, msg, 0, mac2, msg, mac2);
        } else {
            Arrays.fill(msg, mac2, msg.length, (byte) 0);
        }
    }

    /** Opens a cookie reply to our last message; true when it authenticated and the cookie is stored. */
    public boolean consumeReply(byte[] reply, long nowNanos) {
        if (!hasLastMac1 || reply.length != COOKIE_REPLY_LENGTH) {
            return false;
        }
        byte[] nonce = Arrays.copyOfRange(reply, COOKIE_NONCE, COOKIE_NONCE + Aead.XNONCE_LENGTH);
        byte[] sealed = Arrays.copyOfRange(reply, COOKIE_SEALED, COOKIE_REPLY_LENGTH);
        byte[] opened = Aead.xopen(cookieKey, nonce, sealed, lastMac1);
        if (opened == null) {
            return false;
        }
        System.arraycopy(opened, 0, cookie, 0, 16);
        cookieSet = true;
        cookieSetNanos = nowNanos;
        return true;
    }
}
