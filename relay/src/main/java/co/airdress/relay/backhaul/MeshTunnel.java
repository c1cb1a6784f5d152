package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.BackhaulConfig;
import co.airdress.relay.tunnel.PeerChanges;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.device.WireGuardDevice;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh: a second WireGuard interface of the tunnel module, with this PoP's own key and mesh
 * addresses, whose peers are the other PoPs ({@link PopTable#peers}). Only changed peers are
 * touched when the table changes, so the other PoPs' sessions survive a PoP joining or leaving.
 */
public final class MeshTunnel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MeshTunnel.class);

    private final WireGuardDevice device;

    private MeshTunnel(WireGuardDevice device) {
        this.device = device;
    }

    /** Opens the interface, gives it its addresses and MTU and binds the UDP port, with no peers yet. */
    public static MeshTunnel start(BackhaulConfig config) throws IOException {
        requireNonNull(config, "config");
        WireGuardConfig wg = new WireGuardConfig(
                config.interfaceName(), config.privateKeyFile(), config.listenPort(), config.addresses(), config.mtu());
        return new MeshTunnel(WireGuardDevice.start(wg, List.of()));
    }

    public WireGuardKey publicKey() {
        return device.publicKey();
    }

    public String interfaceName() {
        return device.interfaceName();
    }

    /** Makes the mesh's peers {@code wanted}; any thread (one at a time). */
    public synchronized void apply(List<PeerConfig> wanted) {
        PeerChanges changes = PeerChanges.between(device.peers(), wanted);
        if (changes.isEmpty()) {
            return;
        }
        try {
            device.apply(changes);
            log.info(
                    "mesh {}: {} peer(s) ({} added, {} updated, {} removed)",
                    device.interfaceName(),
                    wanted.size(),
                    changes.added().size(),
                    changes.updated().size(),
                    changes.removed().size());
        } catch (IOException e) {
            log.error("mesh {}: applying {} peer(s) failed", device.interfaceName(), wanted.size(), e);
        }
    }

    @Override
    public void close() {
        device.close();
    }
}
