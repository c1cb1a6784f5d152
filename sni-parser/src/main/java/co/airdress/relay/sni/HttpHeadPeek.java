package co.airdress.relay.sni;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/**
 * Incremental peek of an HTTP/1.x request head (request line + header fields, up to the empty
 * line) to find the target host. Same feeding contract as {@link ClientHelloPeek}.
 *
 * <p>API contract (stub: implementation pending).
 */
public final class HttpHeadPeek {

    public static final int DEFAULT_MAX_HEAD_LENGTH = 16 * 1024;

    public enum Status {
        /** Not decidable yet: feed more bytes. */
        NEED_MORE,
        /** The host from the absolute-form target or the Host header: {@link #host()}. */
        FOUND,
        /** A valid HTTP/1.0 request that names no host. */
        NO_HOST,
        /** The first bytes are not an HTTP/1.x request line. */
        NOT_HTTP,
        /** The head is longer than the cap (answer 431). */
        TOO_LARGE,
        /** Breaks RFC 9112 or our host rules (answer 400): {@link #malformed()}. */
        MALFORMED
    }

    public HttpHeadPeek() {
        this(DEFAULT_MAX_HEAD_LENGTH);
    }

    public HttpHeadPeek(int maxHeadLength) {
        throw new UnsupportedOperationException("pending");
    }

    public Status feed(ByteBuf chunk) {
        throw new UnsupportedOperationException("pending");
    }

    public Status status() {
        throw new UnsupportedOperationException("pending");
    }

    /** Lowercased host without port or trailing dot; IPv6 literals keep their brackets. Only when FOUND. */
    public @Nullable String host() {
        throw new UnsupportedOperationException("pending");
    }

    public @Nullable MalformedHead malformed() {
        throw new UnsupportedOperationException("pending");
    }

    public void reset() {
        throw new UnsupportedOperationException("pending");
    }
}
