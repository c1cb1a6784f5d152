package co.airdress.relay.dial;

import co.airdress.relay.config.Operator;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.peek.Peeked;
import co.airdress.relay.proxy.ProxyHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import org.jspecify.annotations.Nullable;

/**
 * Opens the connection to an operator for one client connection. Implementations connect on the
 * client's event loop (so both channels share a thread and no lock is needed), with auto-read off
 * (the relay starts reading once the replay is written) and a connect timeout, and never block.
 * {@link DirectDialer} connects to the operator's direct upstream; the WireGuard tunnel provides
 * another implementation.
 */
public interface OperatorDialer {

    /**
     * Fail-fast hook: false when the dialer already knows the operator is unreachable (e.g. no
     * recent tunnel handshake), so the client is answered at once instead of after a timeout.
     */
    default boolean mayReach(Operator operator, Listener listener) {
        return true;
    }

    /**
     * Connects to {@code operator} for {@code client}; {@code backend} becomes the new channel's
     * handler. The future fails if the operator cannot be reached in time.
     */
    ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend);

    /**
     * True when a dial that failed on {@code failed} is worth one more try because the operator's
     * route changed while it ran (the backhaul: the operator re-attached at another PoP). The
     * connection is dialed again at most once.
     */
    default boolean rerouted(Operator operator, Channel failed) {
        return false;
    }

    /**
     * The PROXY header to write on {@code upstream} (connected by {@link #dial}) before the peeked
     * bytes, or null for none. By default the operator's own header, as it asked for in its
     * {@code proxy_protocol}; a dialer that delivers elsewhere (the backhaul) writes its own.
     */
    default @Nullable HAProxyMessage header(
            Channel client, Channel upstream, Operator operator, Peeked peeked, String pop) {
        return ProxyHeader.message(
                operator.proxyProtocol(), client, peeked.host(), peeked.alpn(), pop, upstream.alloc());
    }
}
