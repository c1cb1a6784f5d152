package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerPolicy;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The relay's own WireGuard interface, as the {@code wireguard:} section of the relay's config
 * gives it (parsed and reported there; relay/README.md):
 * <pre>{@code
 * wireguard:
 *   interface: relay0
 *   private_key_file: /etc/relay/wg.key   # wg's key format
 *   listen_port: 51820
 *   addresses: ["fd00:a1d::1/64", "100.96.0.1/16"]
 *   mtu: 1420
 * }</pre>
 *
 * @param interfaceName the TUN interface's name (see {@link #isValidInterfaceName})
 * @param listenPort the UDP port; 0 lets the kernel pick one (tests)
 * @param addresses the relay's addresses inside the tunnel with their prefix lengths; at least one
 * @param mtu {@value #MIN_MTU}..{@value #MAX_MTU}
 * @param stateFile where operators' endpoints are kept across restarts; null for the relay's default
 * @param listenAddresses the addresses the UDP port is bound to, one socket each, so that replies
 *     leave from the address a peer sent to (an anycast VIP); empty = the wildcard {@code [::]}
 * @param peers how peers are created just in time, bounded and evicted, and whether re-attachment
 *     is on
 */
public record WireGuardConfig(
        String interfaceName,
        Path privateKeyFile,
        int listenPort,
        List<IpPrefix> addresses,
        int mtu,
        @Nullable Path stateFile,
        List<InetAddress> listenAddresses,
        PeerPolicy peers) {

    public static final int DEFAULT_LISTEN_PORT = 51820;
    public static final int DEFAULT_MTU = 1420;
    public static final int MIN_MTU = 1280;
    public static final int MAX_MTU = 9000;
    /** What {@link #isValidInterfaceName} accepts, for messages. */
    public static final String INTERFACE_NAME_RULE = "1..15 printable ASCII characters without '/', ':' or spaces";

    public WireGuardConfig {
        requireNonNull(interfaceName, "interfaceName");
        requireNonNull(privateKeyFile, "privateKeyFile");
        addresses = List.copyOf(requireNonNull(addresses, "addresses"));
        listenAddresses = List.copyOf(requireNonNull(listenAddresses, "listenAddresses"));
        requireNonNull(peers, "peers");
        if (listenAddresses.size() != Set.copyOf(listenAddresses).size()) {
            throw new IllegalArgumentException(
                    "listenAddresses: " + listenAddresses + " (expected: each address once)");
        }
        if (!isValidInterfaceName(interfaceName)) {
            throw new IllegalArgumentException(
                    "interfaceName: '" + interfaceName + "' (expected: " + INTERFACE_NAME_RULE + ")");
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listenPort: " + listenPort + " (expected: 0..65535)");
        }
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("addresses: [] (expected: at least one address/prefix)");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: " + MIN_MTU + ".." + MAX_MTU + ")");
        }
    }

    /** Without {@code state_file}: the relay's default applies. */
    public WireGuardConfig(
            String interfaceName, Path privateKeyFile, int listenPort, List<IpPrefix> addresses, int mtu) {
        this(interfaceName, privateKeyFile, listenPort, addresses, mtu, null);
    }

    /** On the wildcard address, with the default peer policy. */
    public WireGuardConfig(
            String interfaceName,
            Path privateKeyFile,
            int listenPort,
            List<IpPrefix> addresses,
            int mtu,
            @Nullable Path stateFile) {
        this(interfaceName, privateKeyFile, listenPort, addresses, mtu, stateFile, List.of(), PeerPolicy.DEFAULT);
    }

    /** Whether the kernel takes {@code name} for an interface: {@value #INTERFACE_NAME_RULE}. */
    public static boolean isValidInterfaceName(String name) {
        return !name.isEmpty()
                && name.length() <= 15
                && name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '/' && c != ':');
    }
}
