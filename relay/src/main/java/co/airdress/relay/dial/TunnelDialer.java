package co.airdress.relay.dial;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.listen.RelayInitializer;
import co.airdress.relay.tunnel.WireGuardKey;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import java.net.InetSocketAddress;
import java.util.function.Predicate;

/**
 * Dials WireGuard operators at their tunnel address, and direct operators through
 * {@link DirectDialer}. The connection to a tunnel address is an ordinary kernel TCP socket: the
 * kernel routes it into the relay's TUN interface, where the tunnel encrypts it. If the operator
 * is reachable but has no session yet, the kernel's SYN is queued in the tunnel and triggers the
 * handshake; the connect timeout bounds the whole.
 *
 * <p>Fail fast: an operator whose peer has no live session and no endpoint to initiate to (or
 * that gave up) is refused by {@link #mayReach} before any socket is opened, so the client gets
 * its 502 / alert at once instead of after the connect timeout.
 */
public final class TunnelDialer implements OperatorDialer {

    private final DirectDialer direct;
    private final Predicate<WireGuardKey> reachable;
    private final Counter refused;

    /**
     * @param direct dials direct operators, and opens the TCP connection to a tunnel address
     * @param reachable whether the peer with that public key can be expected to answer now (any
     *     thread, no blocking): {@link co.airdress.relay.wireguard.OperatorTunnel#reachable}, or
     *     false for every key when the relay runs no tunnel
     * @param refused counts connections refused at once because the peer is unreachable
     */
    public TunnelDialer(DirectDialer direct, Predicate<WireGuardKey> reachable, Counter refused) {
        this.direct = requireNonNull(direct, "direct");
        this.reachable = requireNonNull(reachable, "reachable");
        this.refused = requireNonNull(refused, "refused");
    }

    @Override
    public boolean mayReach(Operator operator, Listener listener) {
        WireGuardPeer wg = operator.wireguard();
        if (wg == null) {
            return direct.mayReach(operator, listener);
        }
        if (reachable.test(wg.publicKey())) {
            return true;
        }
        refused.increment();
        return false;
    }

    @Override
    public ChannelFuture dial(Channel client, Operator operator, Listener listener, ChannelHandler backend) {
        WireGuardPeer wg = operator.wireguard();
        if (wg == null) {
            return direct.dial(client, operator, listener, backend);
        }
        int port = listener == Listener.HTTP ? wg.httpPort() : wg.tlsPort();
        ConnectionRecord record = client.attr(RelayInitializer.RECORD).get();
        if (record != null) {
            record.throughTunnel(true);
        }
        return direct.connect(client, new InetSocketAddress(wg.address(), port), backend);
    }
}
