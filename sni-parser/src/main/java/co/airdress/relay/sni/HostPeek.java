package co.airdress.relay.sni;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * What {@link ClientHelloPeek} and {@link HttpHeadPeek} share: the host they find, kept as
 * normalised ASCII bytes in an array of their own that the parser fills in place, and read back
 * either without allocating ({@link #hostLength()}, {@link #hostByteAt(int)}) or as a
 * {@code String} built once ({@link #host()}).
 */
abstract sealed class HostPeek permits ClientHelloPeek, HttpHeadPeek {

    /** The host as far as parsed, normalised in place by the parser. */
    final byte[] hostBytes;
    /** How many bytes of {@link #hostBytes} hold the host. */
    int hostLength;

    private @Nullable String host;

    HostPeek(int capacity) {
        this.hostBytes = new byte[capacity];
    }

    /** Whether the peek's status is FOUND: only then do the accessors show the host. */
    abstract boolean hostFound();

    /** Forgets the host, for a reset. */
    final void forgetHost() {
        hostLength = 0;
        host = null;
    }

    /** The host, lowercased, without a trailing dot; only when the status is FOUND, else null. */
    public final @Nullable String host() {
        if (!hostFound()) {
            return null;
        }
        String h = host;
        if (h == null) {
            host = h = new String(hostBytes, 0, hostLength, StandardCharsets.US_ASCII);
        }
        return h;
    }

    /** Length of {@link #host()} in bytes (ASCII), 0 unless the status is FOUND; allocation-free. */
    public final int hostLength() {
        return hostFound() ? hostLength : 0;
    }

    /** Byte {@code index} of {@link #host()}; allocation-free. */
    public final byte hostByteAt(int index) {
        if (index < 0 || index >= hostLength()) {
            throw new IndexOutOfBoundsException("index: " + index + " (expected: 0.." + (hostLength() - 1) + ")");
        }
        return hostBytes[index];
    }
}
