package co.airdress.relay.sni;

import io.netty.buffer.ByteBuf;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Incremental peek of a TLS ClientHello. One instance per connection (or reused after
 * {@link #reset()}); not thread-safe.
 *
 * <p>Feed each chunk of bytes as it arrives, in order; the peek reads them without moving the
 * buffer's indices and keeps no reference to it, so the caller keeps (and later replays) the
 * bytes. Total work is O(n) however the bytes are split into TCP segments and TLS records.
 *
 * <p>API contract (stub: implementation pending).
 */
public final class ClientHelloPeek {

    /** BoringSSL's and Envoy's cap on a ClientHello. */
    public static final int DEFAULT_MAX_HELLO_LENGTH = 16 * 1024;

    /** What the peek knows so far. Every value but {@link #NEED_MORE} is final. */
    public enum Status {
        /** Not decidable yet: feed more bytes. */
        NEED_MORE,
        /** A valid SNI host_name: {@link #host()}. */
        FOUND,
        /** A well-formed ClientHello without a server_name extension. */
        NO_SNI,
        /** The first bytes are not a TLS handshake record. */
        NOT_TLS,
        /** The declared ClientHello is longer than the cap; decided before buffering it. */
        TOO_LARGE,
        /** A TLS handshake that breaks the grammar or our hostname rules: {@link #malformed()}. */
        MALFORMED
    }

    public ClientHelloPeek() {
        this(DEFAULT_MAX_HELLO_LENGTH);
    }

    public ClientHelloPeek(int maxHelloLength) {
        throw new UnsupportedOperationException("pending");
    }

    /** Reads {@code chunk}'s readable bytes (indices untouched) and returns the status. */
    public Status feed(ByteBuf chunk) {
        throw new UnsupportedOperationException("pending");
    }

    public Status status() {
        throw new UnsupportedOperationException("pending");
    }

    /** The SNI host, lowercased, trailing dot stripped; only when {@link Status#FOUND}. */
    public @Nullable String host() {
        throw new UnsupportedOperationException("pending");
    }

    /** ALPN protocol names in the client's order; empty when absent. */
    public List<String> alpn() {
        throw new UnsupportedOperationException("pending");
    }

    /** Why the hello was rejected; only when {@link Status#MALFORMED}. */
    public @Nullable MalformedHello malformed() {
        throw new UnsupportedOperationException("pending");
    }

    /** ClientHello.legacy_version, e.g. 0x0303. */
    public int legacyVersion() {
        throw new UnsupportedOperationException("pending");
    }

    /** True when an encrypted_client_hello (0xfe0d) extension is present: the host is the outer SNI. */
    public boolean echPresent() {
        throw new UnsupportedOperationException("pending");
    }

    /** Total length of the handshake message (4-byte header + body). */
    public int helloLength() {
        throw new UnsupportedOperationException("pending");
    }

    public void reset() {
        throw new UnsupportedOperationException("pending");
    }
}
