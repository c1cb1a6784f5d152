package co.airdress.relay.wireguard;

import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.RelayCommandLine;
import co.airdress.relay.testing.RelayTopology;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.testing.WireGuardGoPeer;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One setup for the WireGuard operator tests. Its static half writes the relay's
 * {@code wireguard:} section and operator entries and makes keys, for the config and API tests. An
 * instance is the end-to-end rig: the relay's namespace joined to operators A and B
 * ({@link RelayTopology}) and to a client namespace, the relay's key file, its config, its
 * operators file, wireguard-go operators dialing out to it, and the relay daemon itself
 * ({@code relay run} in a child JVM). Closing it deletes the namespaces.
 */
public final class WireGuardRelayFixture implements AutoCloseable {

    /** The relay's tunnel addresses in {@link #wireguardSection}. */
    public static final List<String> RELAY_ADDRESSES = List.of("fd00:a1d::1/64", "100.96.0.1/16");

    /** The relay's address on the client's side, where the client connects. */
    public static final String RELAY_CLIENT_SIDE = "192.168.103.1";

    public static final String CLIENT_ADDRESS = "192.168.103.2";

    /** The relay's and the client's IPv6 addresses on the client's side. */
    public static final String RELAY_CLIENT_SIDE6 = "2001:db8:103::1";

    public static final String CLIENT_ADDRESS6 = "2001:db8:103::2";
    public static final String A_ADDRESS = "fd00:a1d::a";
    public static final String B_ADDRESS = "fd00:a1d::b";

    private final Path dir;
    private final long id = ProcessHandle.current().pid() % 100000;
    private final WireGuardKey relayKey = WireGuardKeys.generatePrivateKey(new SecureRandom());
    private final RelayTopology topology;
    private final NetworkNamespace client;

    private WireGuardRelayFixture(Path dir, RelayTopology topology, NetworkNamespace client) {
        this.dir = dir;
        this.topology = topology;
        this.client = client;
    }

    // ================================================================ config text and keys

    /** A fresh public key as {@code wg pubkey} prints it. */
    public static String newPublicKey() {
        return WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom()))
                .toBase64();
    }

    /**
     * The relay's {@code wireguard:} section (key file {@code keyFile}, port 51820, MTU 1420), one
     * line per setting so that tests can replace one.
     */
    public static String wireguardSection(String interfaceName, String keyFile, List<String> addresses) {
        return """
                wireguard:
                  interface: %s
                  private_key_file: %s
                  listen_port: 51820
                  addresses: [%s]
                  mtu: 1420
                """.formatted(
                interfaceName,
                keyFile,
                String.join(", ", addresses.stream().map(a -> '"' + a + '"').toList()));
    }

    /** The tunnel config of {@link #wireguardSection} for {@code relay0}, read as the relay reads it. */
    public static WireGuardConfig tunnelConfig(Path baseDir) {
        String yaml =
                "pop: ams1\nlisten: { tls: \"[::]:443\" }\n" + wireguardSection("relay0", "wg.key", RELAY_ADDRESSES);
        Parsed<RelayConfig> parsed = RelayConfigFile.parse(yaml, "relay.yaml", baseDir);
        if (!(parsed instanceof Parsed.Ok<RelayConfig> ok)) {
            throw new AssertionError("the fixture's config: " + parsed);
        }
        return Objects.requireNonNull(ok.value().wireguard(), "wireguard");
    }

    /** An operators-file entry of kind wireguard; null ports are left to their defaults. */
    public static String operatorEntry(
            String name, String publicKey, String address, @Nullable Integer httpPort, @Nullable Integer tlsPort) {
        List<String> ports = new ArrayList<>();
        if (httpPort != null) {
            ports.add("http: " + httpPort);
        }
        if (tlsPort != null) {
            ports.add("tls: " + tlsPort);
        }
        return """
                  - name: %s
                    hosts: ["%s.example.test"]
                    wireguard: { public_key: "%s", address: "%s"%s }
                """.formatted(
                name, name, publicKey, address, ports.isEmpty() ? "" : ", ports: { " + String.join(", ", ports) + " }");
    }

    // ================================================================ the end-to-end rig

    /**
     * Checks the prerequisites, creates the namespaces ({@code prefix} names them) with the client
     * linked to the relay, and writes the relay's key file into {@code dir}.
     */
    public static WireGuardRelayFixture create(Path dir, String prefix) throws IOException {
        Prerequisites.networkNamespaces();
        for (String tool : List.of("wireguard-go", "wg", "curl", "openssl", "python3")) {
            Prerequisites.tool(tool);
        }
        RelayTopology topology = RelayTopology.create(prefix);
        NetworkNamespace client = null;
        try {
            client = NetworkNamespace.create(prefix + "-client");
            long id = ProcessHandle.current().pid() % 100000;
            topology.relay().link("rvc" + id, RELAY_CLIENT_SIDE + "/24", client, "cvc" + id, CLIENT_ADDRESS + "/24");
            topology.relay().addAddress("rvc" + id, RELAY_CLIENT_SIDE6 + "/64");
            client.addAddress("cvc" + id, CLIENT_ADDRESS6 + "/64");
            WireGuardRelayFixture fixture = new WireGuardRelayFixture(dir, topology, client);
            SecretFiles.write(dir.resolve("wg.key"), fixture.relayKey.toBase64() + "\n");
            return fixture;
        } catch (IOException | RuntimeException e) {
            if (client != null) {
                client.close();
            }
            topology.close();
            throw e;
        }
    }

    /** A short number of this test process, for interface names that do not collide. */
    public long id() {
        return id;
    }

    public WireGuardKey relayKey() {
        return relayKey;
    }

    public String relayPublicKey() {
        return WireGuardKeys.publicKey(relayKey).toBase64();
    }

    public RelayTopology topology() {
        return topology;
    }

    public NetworkNamespace relayNamespace() {
        return topology.relay();
    }

    public NetworkNamespace client() {
        return client;
    }

    /** The relay's interface name, {@code interfacePrefix} and {@link #id}. */
    public String interfaceName(String interfacePrefix) {
        return interfacePrefix + id;
    }

    /**
     * Writes {@code relay.yaml}: {@code sections} (pop, listen, management, ...) and the
     * {@code wireguard:} section for interface {@code interfaceName} with {@code addresses}.
     */
    public void writeConfig(String sections, String interfaceName, List<String> addresses) throws IOException {
        Files.writeString(dir.resolve("relay.yaml"), sections + wireguardSection(interfaceName, "wg.key", addresses));
    }

    /** Replaces the operators file atomically, as an editor or config management would. */
    public void writeOperators(String... entries) throws IOException {
        Path tmp = dir.resolve("operators.yaml.tmp");
        Files.writeString(tmp, "operators:\n" + String.join("", entries));
        Files.move(
                tmp,
                dir.resolve("operators.yaml"),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Starts wireguard-go in {@code ns} as an operator ({@code name} and {@link #id} name its
     * interface) with tunnel address {@code address}/64, its peer the relay at {@code relayEndpoint}
     * (keepalive 1 s) with {@code allowedIps}.
     */
    public WireGuardGoPeer startOperator(
            NetworkNamespace ns, String name, int port, String address, String relayEndpoint, String... allowedIps)
            throws IOException {
        WireGuardGoPeer peer = WireGuardGoPeer.start(ns, name + id, port, 1420, address + "/64");
        try {
            peer.setPeer(relayPublicKey(), relayEndpoint, 1, allowedIps);
            return peer;
        } catch (RuntimeException e) {
            peer.close();
            throw e;
        }
    }

    /** Starts the relay daemon ({@code relay run --config relay.yaml}) in its namespace. */
    public ExternalProcess startRelay(String name) {
        return relayNamespace()
                .start(
                        name,
                        RelayCommandLine.run(dir.resolve("relay.yaml"), "-XX:TieredStopAtLevel=1")
                                .toArray(String[]::new));
    }

    /** Waits until the relay answers /readyz with its tunnel up; fails at once if it exits. */
    public void awaitReady(ExternalProcess relay) {
        Await.until(Duration.ofSeconds(60), "relay ready; output:\n" + relay, () -> {
            if (!relay.process().isAlive()) {
                throw new AssertionError("relay exited: " + relay.output());
            }
            return relayNamespace()
                    .execAllowingFailure(Duration.ofSeconds(5), "curl", "-sf", "http://127.0.0.1:9090/readyz")
                    .output()
                    .contains("\"tunnel\":{\"status\":\"UP\"}");
        });
    }

    /** Waits for the relay's first handshake with {@code operator}, as the operator sees it. */
    public void awaitHandshake(WireGuardGoPeer operator, String what, Duration timeout) {
        Await.until(timeout, what, () -> operator.latestHandshake(relayPublicKey()) > 0);
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            topology.close();
        }
    }
}
