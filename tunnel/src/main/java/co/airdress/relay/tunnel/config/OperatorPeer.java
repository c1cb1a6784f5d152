package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An operator of kind wireguard: its public key and its single tunnel address (the only source
 * it may use inside the tunnel, and where the relay connects). An endpoint is optional: without
 * one the relay waits for the operator to initiate and learns it from authenticated packets.
 */
public record OperatorPeer(
        WireGuardKey publicKey,
        InetAddress address,
        @Nullable InetSocketAddress endpoint,
        int persistentKeepaliveSeconds) {

    public OperatorPeer {
        requireNonNull(publicKey, "publicKey");
        requireNonNull(address, "address");
        if (persistentKeepaliveSeconds < 0 || persistentKeepaliveSeconds > 65535) {
            throw new IllegalArgumentException(
                    "persistent_keepalive: " + persistentKeepaliveSeconds + " (expected: 0..65535)");
        }
    }

    public OperatorPeer(WireGuardKey publicKey, InetAddress address) {
        this(publicKey, address, null, 0);
    }

    /** From an operator entry: {@code { public_key: "<base64>", address: "fd00:a1d::b0b" }}. */
    public static OperatorPeer fromMap(String prefix, Map<String, ?> map) {
        requireNonNull(map, "map");
        Object key = map.get("public_key");
        Object address = map.get("address");
        if (!(key instanceof String keyText)) {
            throw new IllegalArgumentException(prefix + ".public_key: " + key + " (expected: a base64 key)");
        }
        if (!(address instanceof String addressText)) {
            throw new IllegalArgumentException(prefix + ".address: " + address + " (expected: an IP address)");
        }
        WireGuardKey publicKey = KeyText.parse(keyText, prefix + ".public_key");
        InetAddress ip = InterfaceAddress.literal(addressText, prefix + ".address " + addressText);
        return new OperatorPeer(publicKey, ip);
    }

    public OperatorPeer withEndpoint(@Nullable InetSocketAddress newEndpoint, int keepaliveSeconds) {
        return new OperatorPeer(publicKey, address, newEndpoint, keepaliveSeconds);
    }

    /** The core's view: the single address as a host prefix (/32 or /128). */
    public PeerConfig toPeerConfig() {
        return new PeerConfig(
                publicKey,
                null,
                List.of(IpPrefix.host(address)),
                endpoint,
                Duration.ofSeconds(persistentKeepaliveSeconds));
    }
}
