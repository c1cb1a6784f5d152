package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One operator peer, as {@code wg set} would configure it.
 *
 * @param publicKey the peer's static public key (its identity)
 * @param presharedKey optional extra symmetric key mixed into the handshake; null = none
 * @param allowedIps inner source addresses accepted from this peer and destinations routed to it
 *     (the relay gives each operator one /32 and/or /128)
 * @param endpoint where to send initiations before the peer has been heard from; null = wait for it
 * @param persistentKeepalive interval of unconditional keepalives, {@link Duration#ZERO} = off
 */
public record PeerConfig(
        WireGuardKey publicKey,
        @Nullable WireGuardKey presharedKey,
        List<IpPrefix> allowedIps,
        @Nullable InetSocketAddress endpoint,
        Duration persistentKeepalive) {

    public PeerConfig {
        requireNonNull(publicKey, "publicKey");
        allowedIps = List.copyOf(requireNonNull(allowedIps, "allowedIps"));
        requireNonNull(persistentKeepalive, "persistentKeepalive");
        if (persistentKeepalive.isNegative()) {
            throw new IllegalArgumentException("persistentKeepalive: " + persistentKeepalive + " (expected: >= 0)");
        }
        if (endpoint != null && endpoint.isUnresolved()) {
            throw new IllegalArgumentException("endpoint: " + endpoint + " (expected: a resolved address)");
        }
    }

    /** A peer with only a key and its allowed IPs: no PSK, no endpoint, no persistent keepalive. */
    public static PeerConfig of(WireGuardKey publicKey, IpPrefix... allowedIps) {
        return new PeerConfig(publicKey, null, List.of(allowedIps), null, Duration.ZERO);
    }

    public PeerConfig withPresharedKey(@Nullable WireGuardKey psk) {
        return new PeerConfig(publicKey, psk, allowedIps, endpoint, persistentKeepalive);
    }

    public PeerConfig withEndpoint(@Nullable InetSocketAddress newEndpoint) {
        return new PeerConfig(publicKey, presharedKey, allowedIps, newEndpoint, persistentKeepalive);
    }

    public PeerConfig withPersistentKeepalive(Duration interval) {
        return new PeerConfig(publicKey, presharedKey, allowedIps, endpoint, interval);
    }
}
