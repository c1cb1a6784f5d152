package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * Where a backhauled connection really comes from, as the ingress PoP's PROXY header says: set on
 * the accepted channel once the header is read, so that the operator's own header carries the
 * original client.
 *
 * @param client the client's address, as the ingress PoP saw it
 * @param destination the address the client connected to (the VIP and listener port)
 * @param ingressPop the PoP the client reached
 * @param peer the mesh peer that handed the connection over (by its mesh address)
 */
public record Origin(InetSocketAddress client, InetSocketAddress destination, String ingressPop, String peer) {

    public static final AttributeKey<Origin> KEY = AttributeKey.valueOf("backhaul.origin");

    public Origin {
        requireNonNull(client, "client");
        requireNonNull(destination, "destination");
        requireNonNull(ingressPop, "ingressPop");
        requireNonNull(peer, "peer");
    }
}
