package co.airdress.relay.tunnel.netns;

import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.config.InterfaceAddress;
import co.airdress.relay.tunnel.config.OperatorPeer;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.device.TunnelDevice;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/** The Java tunnel started inside the relay namespace (TUN, UDP socket and ip commands all there). */
public final class JavaRelay implements AutoCloseable {

    public static final List<String> ADDRESSES = List.of("fd00:a1d::1/64", "100.96.0.1/16");

    private final TunnelDevice device;

    private JavaRelay(TunnelDevice device) {
        this.device = device;
    }

    public static JavaRelay start(NetworkNamespace ns, TunnelDevice.Options options, List<OperatorPeer> peers)
            throws Exception {
        String name = "jwg" + ProcessHandle.current().pid() % 100000;
        WireGuardKey key = WireGuardKeys.generatePrivateKey(new SecureRandom());
        WireGuardConfig config = new WireGuardConfig(
                name,
                Path.of("/nonexistent/unused.key"),
                51820,
                ADDRESSES.stream().map(InterfaceAddress::parse).toList(),
                1420);
        TunnelDevice device = InNamespace.call(ns, () -> TunnelDevice.start(config, key, peers, options));
        return new JavaRelay(device);
    }

    public TunnelDevice device() {
        return device;
    }

    public String publicKey() {
        return device.publicKey().toBase64();
    }

    @Override
    public void close() {
        device.close();
    }
}
