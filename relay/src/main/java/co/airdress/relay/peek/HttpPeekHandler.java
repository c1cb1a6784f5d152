package co.airdress.relay.peek;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.listen.AddressCounter;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.metrics.DataPathMetrics.PeekResult;
import co.airdress.relay.refusal.Refusal;
import co.airdress.relay.sni.HttpHeadPeek;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Peeks the first HTTP/1.x request head for its host. The decision holds for the whole
 * connection: later requests on a keep-alive connection go to the same operator.
 */
public final class HttpPeekHandler extends PeekHandler {

    public static final String NAME = PeekHandler.NAME;

    private final HttpHeadPeek peek;

    public HttpPeekHandler(
            ConnectionRecord record, DataPathMetrics metrics, AddressCounter peeking, Duration timeout, int maxHead) {
        super(record, metrics, peeking, timeout);
        this.peek = new HttpHeadPeek(maxHead);
    }

    @Override
    Decision feed(ByteBuf chunk) {
        return switch (peek.feed(chunk)) {
            case NEED_MORE -> NEED_MORE;
            case FOUND -> new Decision.Route(Objects.requireNonNull(peek.host(), "host"), List.of());
            case NO_HOST -> new Decision.Refuse(Refusal.NO_HOST, PeekResult.NO_HOST);
            case NOT_HTTP -> new Decision.Refuse(Refusal.NOT_PROTOCOL, PeekResult.NOT_PROTOCOL);
            case TOO_LARGE -> new Decision.Refuse(Refusal.TOO_LARGE, PeekResult.TOO_LARGE);
            case MALFORMED -> new Decision.Refuse(Refusal.MALFORMED, PeekResult.MALFORMED);
        };
    }
}
