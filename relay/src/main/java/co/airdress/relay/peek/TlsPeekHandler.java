package co.airdress.relay.peek;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.listen.AddressCounter;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.DataPathMetrics.PeekResult;
import co.airdress.relay.refusal.Refusal;
import co.airdress.relay.sni.ClientHelloPeek;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Peeks the TLS ClientHello for its SNI (and ALPN), never decrypting anything. Bounded twice: by
 * the hello's declared length ({@code maxClientHello}) and by the bytes received before the host
 * is known, record headers included ({@code maxTlsPeek}); beyond either it is refused as
 * {@link Refusal#TOO_LARGE}.
 */
public final class TlsPeekHandler extends PeekHandler {

    public static final String NAME = PeekHandler.NAME;

    private final ClientHelloPeek peek;

    public TlsPeekHandler(
            ConnectionRecord record,
            DataPathMetrics metrics,
            AddressCounter peeking,
            Duration timeout,
            int maxClientHello,
            int maxTlsPeek) {
        super(record, metrics, peeking, timeout);
        this.peek = new ClientHelloPeek(maxClientHello, maxTlsPeek);
    }

    @Override
    Decision feed(ByteBuf chunk) {
        return switch (peek.feed(chunk)) {
            case NEED_MORE -> NEED_MORE;
            case FOUND -> new Decision.Route(Objects.requireNonNull(peek.host(), "host"), peek.alpn());
            case NO_SNI -> new Decision.Refuse(Refusal.NO_HOST, PeekResult.NO_HOST);
            case NOT_TLS -> new Decision.Refuse(Refusal.NOT_PROTOCOL, PeekResult.NOT_PROTOCOL);
            case TOO_LARGE -> new Decision.Refuse(Refusal.TOO_LARGE, PeekResult.TOO_LARGE);
            case MALFORMED -> new Decision.Refuse(Refusal.MALFORMED, PeekResult.MALFORMED);
        };
    }

    @Override
    int recordVersion(@Nullable ByteBuf firstBytes) {
        if (firstBytes == null || firstBytes.readableBytes() < 3) {
            return 0x0303;
        }
        return firstBytes.getUnsignedShort(firstBytes.readerIndex() + 1);
    }
}
