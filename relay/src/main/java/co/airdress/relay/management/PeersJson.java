package co.airdress.relay.management;

import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.wireguard.OperatorTunnel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * GET /v1/peers: the relay's WireGuard interface and one entry per WireGuard operator, like
 * {@code wg show}. Public keys only; the private key never leaves the device.
 */
final class PeersJson {

    private PeersJson() {}

    static ObjectNode write(@Nullable OperatorTunnel tunnel) {
        ObjectNode n = JsonBodies.MAPPER.createObjectNode();
        ArrayNode arr;
        if (tunnel == null) {
            n.putNull("interface");
            arr = n.putArray("peers");
            return n;
        }
        n.put("interface", tunnel.interfaceName());
        n.put("public_key", tunnel.publicKey().toBase64());
        n.put("listen_port", tunnel.listenPort());
        arr = n.putArray("peers");
        Instant now = Instant.now();
        for (OperatorTunnel.PeerStatus p : tunnel.peers()) {
            ObjectNode o = arr.addObject();
            o.put("operator", p.operator());
            o.put("public_key", p.peer().publicKey().toBase64());
            o.put("address", OperatorsFile.address(p.peer().address()));
            PeerStats s = p.stats();
            InetSocketAddress endpoint = s == null ? null : s.endpoint();
            o.put("endpoint", endpoint == null ? null : HostPort.format(endpoint));
            Instant last = s == null ? null : s.lastHandshake();
            o.put("last_handshake", last == null ? null : last.toString());
            if (last == null) {
                o.putNull("last_handshake_seconds_ago");
            } else {
                o.put("last_handshake_seconds_ago", Duration.between(last, now).toSeconds());
            }
            o.put("live_session", s != null && s.liveSession());
            o.put("rx_bytes", s == null ? 0 : s.rxBytes());
            o.put("tx_bytes", s == null ? 0 : s.txBytes());
            o.put("handshakes", s == null ? 0 : s.handshakes());
            ObjectNode drops = o.putObject("drops");
            if (s != null) {
                s.drops().forEach((reason, count) -> drops.put(reason.name().toLowerCase(Locale.ROOT), count));
            }
        }
        return n;
    }
}
