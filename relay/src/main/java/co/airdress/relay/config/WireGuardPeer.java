package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.WireGuardKey;
import java.net.InetAddress;

/**
 * An operator reached through the relay's WireGuard tunnel:
 * {@code wireguard: { public_key: "<base64>", address: "fd00:a1d::b0b", ports: { http: 80, tls: 443 } }}.
 * The address is the operator's single allowed IP and where the relay connects (ordinary kernel
 * TCP, routed by the kernel into the relay's TUN interface).
 *
 * @param publicKey the operator's WireGuard public key
 * @param address its tunnel address (inside one of the relay's tunnel prefixes)
 * @param httpPort the port connections from the HTTP listener go to (default 80)
 * @param tlsPort the port connections from the TLS listener go to (default 443)
 */
public record WireGuardPeer(WireGuardKey publicKey, InetAddress address, int httpPort, int tlsPort) {

    public static final int DEFAULT_HTTP_PORT = 80;
    public static final int DEFAULT_TLS_PORT = 443;

    public WireGuardPeer {
        requireNonNull(publicKey, "publicKey");
        requireNonNull(address, "address");
        if (httpPort < 1 || httpPort > 65535 || tlsPort < 1 || tlsPort > 65535) {
            throw new IllegalArgumentException("ports: " + httpPort + "/" + tlsPort + " (expected: 1..65535)");
        }
    }

    public WireGuardPeer(WireGuardKey publicKey, InetAddress address) {
        this(publicKey, address, DEFAULT_HTTP_PORT, DEFAULT_TLS_PORT);
    }

    /**
     * The tunnel's view: the key, the address as the single allowed IP (/32 or /128), no endpoint
     * (the operator dials out to us, and the tunnel learns where from), no keepalive, no PSK.
     */
    public PeerConfig toPeerConfig() {
        return PeerConfig.of(publicKey, IpPrefix.host(address));
    }
}
