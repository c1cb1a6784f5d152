package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code backhaul:} section: the PoP's WireGuard mesh to the other PoPs of its network and
 * the TCP listener that takes connections handed over by them (relay/README.md, docs/network.md).
 * It needs {@code directory.kafka}: the PoPs announce themselves on a topic of the same log.
 *
 * @param interfaceName the mesh's TUN interface (not the operators' one)
 * @param privateKeyFile this PoP's own mesh key (unlike the network key, never shared)
 * @param addresses this PoP's mesh address per family, with the mesh's prefix length
 * @param listenPort the mesh's UDP port
 * @param endpoint the underlay {@code ip:port} the other PoPs send this PoP's mesh packets to
 * @param port the TCP port of the backhaul listener, bound to the mesh addresses only
 * @param mtu the mesh interface's MTU
 * @param topic the compacted topic of PoP announcements (key: PoP name)
 * @param maxPops the most PoPs the mesh takes (announcements beyond it are refused and counted)
 * @param headerTimeout how long an accepted backhaul connection has to send its PROXY header
 * @param maxHeader the largest PROXY header accepted, in bytes
 */
public record BackhaulConfig(
        String interfaceName,
        Path privateKeyFile,
        List<IpPrefix> addresses,
        int listenPort,
        InetSocketAddress endpoint,
        int port,
        int mtu,
        String topic,
        int maxPops,
        Duration headerTimeout,
        int maxHeader) {

    public static final String DEFAULT_TOPIC = "airdress.pops";
    public static final int DEFAULT_LISTEN_PORT = 51821;
    public static final int DEFAULT_PORT = 7443;
    public static final int DEFAULT_MAX_POPS = 64;
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_HEADER = 1024;

    public BackhaulConfig {
        requireNonNull(interfaceName, "interfaceName");
        requireNonNull(privateKeyFile, "privateKeyFile");
        addresses = List.copyOf(addresses);
        requireNonNull(endpoint, "endpoint");
        requireNonNull(topic, "topic");
        requireNonNull(headerTimeout, "headerTimeout");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("addresses: empty (expected: at least one mesh address)");
        }
    }
}
