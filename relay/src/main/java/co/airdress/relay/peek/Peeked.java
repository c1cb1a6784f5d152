package co.airdress.relay.peek;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.util.List;

/**
 * The peek's result, passed down the pipeline: the host to route by, the client's ALPN list (TLS
 * only), and every byte read so far, to be replayed to the operator unchanged. Whoever receives
 * it owns the bytes.
 */
public final class Peeked extends DefaultByteBufHolder {

    private final String host;
    private final List<String> alpn;
    private final int recordVersion;

    public Peeked(String host, List<String> alpn, int recordVersion, ByteBuf bytes) {
        super(bytes);
        this.host = requireNonNull(host, "host");
        this.alpn = List.copyOf(alpn);
        this.recordVersion = recordVersion;
    }

    public String host() {
        return host;
    }

    public List<String> alpn() {
        return alpn;
    }

    /** The TLS record version of the client's first record (0 on the HTTP listener), for alerts. */
    public int recordVersion() {
        return recordVersion;
    }
}
