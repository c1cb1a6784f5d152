package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The relay's own WireGuard interface:
 * <pre>{@code
 * wireguard:
 *   interface: relay0
 *   private_key_file: /etc/relay/wg.key   # wg's key format
 *   listen_port: 51820
 *   addresses: ["fd00:a1d::1/64", "100.96.0.1/16"]
 *   mtu: 1420
 * }</pre>
 */
public record WireGuardConfig(
        String interfaceName,
        Path privateKeyFile,
        int listenPort,
        List<InterfaceAddress> addresses,
        int mtu,
        @Nullable Path stateFile) {

    public static final int DEFAULT_LISTEN_PORT = 51820;
    public static final int DEFAULT_MTU = 1420;
    public static final int MIN_MTU = 1280;
    public static final int MAX_MTU = 9000;

    public WireGuardConfig {
        requireNonNull(interfaceName, "interfaceName");
        requireNonNull(privateKeyFile, "privateKeyFile");
        requireNonNull(addresses, "addresses");
        if (interfaceName.isEmpty()
                || interfaceName.length() > 15
                || !interfaceName.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '/' && c != ':')) {
            throw new IllegalArgumentException("wireguard.interface: '" + interfaceName
                    + "' (expected: 1..15 printable ASCII characters without '/', ':' or spaces)");
        }
        // 0 lets the kernel pick: tests use it; production configures 51820.
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("wireguard.listen_port: " + listenPort + " (expected: 0..65535)");
        }
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("wireguard.addresses: [] (expected: at least one address/prefix)");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException(
                    "wireguard.mtu: " + mtu + " (expected: " + MIN_MTU + ".." + MAX_MTU + ")");
        }
        addresses = List.copyOf(addresses);
    }

    /** Without {@code state_file}: the relay's default applies. */
    public WireGuardConfig(
            String interfaceName, Path privateKeyFile, int listenPort, List<InterfaceAddress> addresses, int mtu) {
        this(interfaceName, privateKeyFile, listenPort, addresses, mtu, null);
    }

    /** Validates the {@code wireguard:} mapping as read from YAML (keys in snake case). */
    public static WireGuardConfig fromMap(Map<String, ?> map) {
        requireNonNull(map, "map");
        for (String key : map.keySet()) {
            if (!List.of("interface", "private_key_file", "listen_port", "addresses", "mtu", "state_file")
                    .contains(key)) {
                throw new IllegalArgumentException(
                        "wireguard." + key
                                + ": unknown setting (expected: interface, private_key_file, listen_port, addresses, mtu, state_file)");
            }
        }
        String name = string(map, "interface");
        Path keyFile = Path.of(string(map, "private_key_file"));
        int port = integer(map, "listen_port", DEFAULT_LISTEN_PORT);
        int mtu = integer(map, "mtu", DEFAULT_MTU);
        Object rawAddresses = map.get("addresses");
        if (!(rawAddresses instanceof List<?> list)) {
            throw new IllegalArgumentException("wireguard.addresses: " + rawAddresses
                    + " (expected: a list such as [\"fd00:a1d::1/64\", \"100.96.0.1/16\"])");
        }
        List<InterfaceAddress> addresses = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            if (!(item instanceof String text)) {
                throw new IllegalArgumentException(
                        "wireguard.addresses[" + i + "]: " + item + " (expected: IP/prefix)");
            }
            try {
                addresses.add(InterfaceAddress.parse(text));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("wireguard.addresses[" + i + "]: " + e.getMessage(), e);
            }
        }
        Path stateFile = map.get("state_file") == null ? null : Path.of(string(map, "state_file"));
        return new WireGuardConfig(name, keyFile, port, addresses, mtu, stateFile);
    }

    private static String string(Map<String, ?> map, String key) {
        Object value = map.get(key);
        if (!(value instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("wireguard." + key + ": " + value + " (expected: a non-empty string)");
        }
        return s;
    }

    private static int integer(Map<String, ?> map, String key, int defaultValue) {
        Object value = map.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Integer i) {
            return i;
        }
        if (value instanceof Number || value instanceof String) {
            try {
                return Integer.parseInt(value.toString());
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("wireguard." + key + ": " + value + " (expected: an integer)");
    }
}
