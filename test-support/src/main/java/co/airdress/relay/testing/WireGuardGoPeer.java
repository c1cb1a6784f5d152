package co.airdress.relay.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Debian's {@code wireguard-go} running in a namespace, configured with {@code wg} and {@code ip}
 * as an operator would. Stopped by pid on {@link #close()}; its UAPI socket is removed.
 */
public final class WireGuardGoPeer implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final NetworkNamespace ns;
    private final String interfaceName;
    private final ExternalProcess process;
    private final String privateKey;
    private final String publicKey;
    private final int listenPort;

    private WireGuardGoPeer(
            NetworkNamespace ns,
            String interfaceName,
            ExternalProcess process,
            String privateKey,
            String publicKey,
            int listenPort) {
        this.ns = ns;
        this.interfaceName = interfaceName;
        this.process = process;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.listenPort = listenPort;
    }

    /**
     * Starts {@code wireguard-go -f <interfaceName>} in {@code ns}, gives it a fresh key, the
     * listen port and the tunnel addresses (CIDR), and brings it up with {@code mtu}.
     */
    public static WireGuardGoPeer start(
            NetworkNamespace ns, String interfaceName, int listenPort, int mtu, String... addresses)
            throws IOException {
        String privateKey = ExternalProcess.run(TIMEOUT, "wg", "genkey").strip();
        String publicKey = pubkey(privateKey);
        Path socket = Path.of("/var/run/wireguard", interfaceName + ".sock");
        Files.deleteIfExists(socket);
        ExternalProcess process = ns.start("wireguard-go-" + interfaceName, "wireguard-go", "-f", interfaceName);
        WireGuardGoPeer peer = new WireGuardGoPeer(ns, interfaceName, process, privateKey, publicKey, listenPort);
        try {
            Await.until(TIMEOUT, "UAPI socket " + socket + " of " + process, () -> {
                if (!process.process().isAlive()) {
                    throw new AssertionError("wireguard-go exited: " + process.output());
                }
                return Files.exists(socket);
            });
            Path keyFile = Files.createTempFile("airdress-wg", ".key");
            try {
                Files.writeString(keyFile, privateKey + "\n");
                ns.exec(
                        "wg",
                        "set",
                        interfaceName,
                        "private-key",
                        keyFile.toString(),
                        "listen-port",
                        Integer.toString(listenPort));
            } finally {
                Files.deleteIfExists(keyFile);
            }
            for (String address : addresses) {
                List<String> cmd = new ArrayList<>(List.of("ip", "addr", "add", address, "dev", interfaceName));
                if (address.contains(":")) {
                    cmd.add("nodad");
                }
                ns.exec(cmd.toArray(String[]::new));
            }
            ns.exec("ip", "link", "set", "dev", interfaceName, "mtu", Integer.toString(mtu), "up");
            return peer;
        } catch (RuntimeException | IOException e) {
            peer.close();
            throw e;
        }
    }

    public static String pubkey(String privateKey) {
        try {
            Process p =
                    new ProcessBuilder("wg", "pubkey").redirectErrorStream(true).start();
            p.getOutputStream().write((privateKey + "\n").getBytes());
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() != 0) {
                throw new AssertionError("wg pubkey failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** {@code wg set <if> peer <key> allowed-ips ... [endpoint ...] [persistent-keepalive ...]}. */
    public void setPeer(
            String peerPublicKey, @Nullable String endpoint, int persistentKeepalive, String... allowedIps) {
        List<String> cmd = new ArrayList<>(List.of(
                "wg", "set", interfaceName, "peer", peerPublicKey, "allowed-ips", String.join(",", allowedIps)));
        if (endpoint != null) {
            cmd.add("endpoint");
            cmd.add(endpoint);
        }
        if (persistentKeepalive > 0) {
            cmd.add("persistent-keepalive");
            cmd.add(Integer.toString(persistentKeepalive));
        }
        ns.exec(cmd.toArray(String[]::new));
    }

    public void removePeer(String peerPublicKey) {
        ns.exec("wg", "set", interfaceName, "peer", peerPublicKey, "remove");
    }

    /** Seconds since the epoch of the latest handshake with that peer; 0 if none. */
    public long latestHandshake(String peerPublicKey) {
        for (String line :
                ns.exec("wg", "show", interfaceName, "latest-handshakes").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(peerPublicKey)) {
                return Long.parseLong(f[1]);
            }
        }
        return 0;
    }

    /** The endpoint wireguard-go currently uses for that peer, as {@code wg show} prints it. */
    public String endpoint(String peerPublicKey) {
        for (String line : ns.exec("wg", "show", interfaceName, "endpoints").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(peerPublicKey)) {
                return f[1];
            }
        }
        return "(none)";
    }

    /** Bytes received from that peer, from {@code wg show <if> transfer}. */
    public long received(String peerPublicKey) {
        for (String line : ns.exec("wg", "show", interfaceName, "transfer").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(peerPublicKey)) {
                return Long.parseLong(f[1]);
            }
        }
        return 0;
    }

    public String interfaceName() {
        return interfaceName;
    }

    public String publicKey() {
        return publicKey;
    }

    public String privateKey() {
        return privateKey;
    }

    public int listenPort() {
        return listenPort;
    }

    public NetworkNamespace namespace() {
        return ns;
    }

    public String log() {
        return process.output();
    }

    @Override
    public void close() {
        process.close();
        try {
            Files.deleteIfExists(Path.of("/var/run/wireguard", interfaceName + ".sock"));
        } catch (IOException e) {
            // best effort: wireguard-go removes it itself on a clean stop
        }
    }
}
