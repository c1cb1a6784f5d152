package co.airdress.relay.tunnel.netns;

import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerChanges;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.device.WireGuardDevice;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/** The Java tunnel started inside the relay namespace (TUN, UDP socket and ip commands all there). */
public final class JavaRelay implements AutoCloseable {

    public static final List<String> ADDRESSES = List.of("fd00:a1d::1/64", "100.96.0.1/16");

    private final WireGuardDevice device;

    private JavaRelay(WireGuardDevice device) {
        this.device = device;
    }

    public static JavaRelay start(NetworkNamespace ns, WireGuardDevice.Options options, List<PeerConfig> peers)
            throws Exception {
        return start(ns, options, peers, List.of());
    }

    /** As {@link #start(NetworkNamespace, WireGuardDevice.Options, List)}, the UDP port bound to {@code listenAddresses}. */
    public static JavaRelay start(
            NetworkNamespace ns,
            WireGuardDevice.Options options,
            List<PeerConfig> peers,
            List<InetAddress> listenAddresses)
            throws Exception {
        String name = "jwg" + ProcessHandle.current().pid() % 100000;
        WireGuardKey key = WireGuardKeys.generatePrivateKey(new SecureRandom());
        WireGuardConfig config = new WireGuardConfig(
                name,
                Path.of("/nonexistent/unused.key"),
                51820,
                ADDRESSES.stream().map(IpPrefix::parse).toList(),
                1420,
                null,
                listenAddresses,
                options.peers());
        WireGuardDevice device = InNamespace.call(ns, () -> WireGuardDevice.start(config, key, peers, options));
        return new JavaRelay(device);
    }

    public WireGuardDevice device() {
        return device;
    }

    /** Makes the device's peers {@code wanted}: removes, adds and updates only what differs. */
    public void applyPeers(List<PeerConfig> wanted) throws IOException {
        device.apply(PeerChanges.between(device.peers(), wanted));
    }

    public String publicKey() {
        return device.publicKey().toBase64();
    }

    @Override
    public void close() {
        device.close();
    }
}
