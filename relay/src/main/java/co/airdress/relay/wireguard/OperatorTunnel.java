package co.airdress.relay.wireguard;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.tunnel.Drop;
import co.airdress.relay.tunnel.PeerChanges;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.device.WireGuardDevice;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's WireGuard interface with the operators of kind {@code wireguard} as its peers. The
 * daemon starts it when {@code wireguard:} is configured; the operator directory calls
 * {@link #apply} with every new operator set (startup, file reload, admin API), which adds,
 * updates and removes only the peers that changed, so other peers' sessions are untouched.
 *
 * <p>Meters read the tunnel's counters when scraped, so nothing is done per packet: per peer,
 * tagged with the operator's name and registered and removed as operators come and go, the time
 * since the last handshake (a gauge) and the bytes, handshakes and drops (counters); for the whole device, the
 * drops by reason and the TUN reads and writes dropped (counters).
 */
public final class OperatorTunnel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OperatorTunnel.class);

    /** One peer for /v1/peers: the operator it belongs to and the tunnel's counters. */
    public record PeerStatus(
            String operator, WireGuardPeer peer, @Nullable PeerStats stats) {}

    private final WireGuardDevice device;
    private final MeterRegistry registry;
    // Written on the operator directory's thread only; read anywhere through the volatile.
    private volatile Map<String, WireGuardPeer> peers = Map.of();
    /** Per-operator meters, with the key they were registered for; the operator directory's thread. */
    private final Map<String, PeerMeters> meters = new HashMap<>();

    private record PeerMeters(WireGuardKey key, List<Meter> meters) {}

    private final List<Meter> deviceMeters;
    private volatile boolean running = true;
    private @Nullable UapiSocket uapi;
    private static final long SAVE_INTERVAL_MS = 200;

    private final EndpointStateFile endpointsFile;
    // Every peer's endpoint and replay floor known since start (the file's, then the learned ones):
    // seeds peers that are added later. Written by the saver thread, read by the operator directory's.
    private final Map<WireGuardKey, EndpointStateFile.Peer> remembered = new ConcurrentHashMap<>();
    // What the file holds now; saver thread only (and close, after the saver stopped).
    private Map<WireGuardKey, EndpointStateFile.Peer> saved;
    private boolean saveFailureLogged;
    private final ScheduledExecutorService saver;

    private OperatorTunnel(WireGuardDevice device, MeterRegistry registry, EndpointStateFile endpointsFile) {
        this.device = device;
        this.registry = registry;
        this.deviceMeters = registerDeviceMeters();
        this.endpointsFile = endpointsFile;
        this.saved = endpointsFile.load();
        remembered.putAll(saved);
        if (!saved.isEmpty()) {
            log.info(
                    "WireGuard {}: {} operator endpoint(s) from {}",
                    device.interfaceName(),
                    saved.size(),
                    endpointsFile.path());
        }
        this.saver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wireguard-endpoints");
            t.setDaemon(true);
            return t;
        });
        // A poll of the tunnel's view, never per packet; fsync stays off the event loop. Short,
        // because a relay killed between an operator's first handshake and the next save forgets
        // that endpoint (the operator then re-handshakes only when its session ages out, ~15 s);
        // a poll that finds nothing changed writes nothing.
        saver.scheduleWithFixedDelay(this::saveEndpoints, SAVE_INTERVAL_MS, SAVE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Where the endpoints are kept: {@code wireguard.state_file}, by default
     * {@code <interface>.endpoints} beside the private key file.
     */
    public static Path endpointsFile(WireGuardConfig config) {
        Path configured = config.stateFile();
        if (configured != null) {
            return configured.toAbsolutePath();
        }
        return config.privateKeyFile().toAbsolutePath().resolveSibling(config.interfaceName() + ".endpoints");
    }

    /**
     * Brings the interface up (addresses, MTU) and binds the UDP port, with no peers yet; they
     * come with the first {@link #apply}. The handshake rate limiter counts IPv6 sources by
     * {@code ipv6SourcePrefix} ({@code limits.ipv6_prefix}).
     *
     * @throws IOException naming the step that failed (key file, TUNSETIFF, ip, bind)
     */
    public static OperatorTunnel start(WireGuardConfig config, int ipv6SourcePrefix, MeterRegistry registry)
            throws IOException {
        requireNonNull(config, "config");
        requireNonNull(registry, "registry");
        WireGuardDevice device = WireGuardDevice.start(
                config, List.of(), WireGuardDevice.Options.STANDARD.withIpv6SourcePrefix(ipv6SourcePrefix));
        OperatorTunnel tunnel = new OperatorTunnel(device, registry, new EndpointStateFile(endpointsFile(config)));
        try {
            tunnel.uapi = UapiSocket.open(tunnel);
        } catch (IOException | RuntimeException e) {
            // Only `wg show` needs it; the relay works without.
            log.warn(
                    "WireGuard {}: no UAPI socket in {} ({}); `wg show` will not list it",
                    device.interfaceName(),
                    UapiSocket.DIRECTORY,
                    e.toString());
        }
        return tunnel;
    }

    /**
     * Makes the tunnel's peers those of {@code operators} (other operators are ignored): the change
     * from the peers in force is computed once and applied, so unchanged peers keep their sessions.
     * A new peer whose endpoint is remembered gets it, and a handshake is initiated to it; its
     * remembered replay floor is restored in the same step as its addition, so no initiation older
     * than the latest one accepted before a restart is accepted after it.
     */
    public synchronized void apply(List<Operator> operators) {
        requireNonNull(operators, "operators");
        Map<String, WireGuardPeer> before = peers;
        Map<String, WireGuardPeer> next = new LinkedHashMap<>();
        List<PeerConfig> wanted = new ArrayList<>();
        for (Operator op : operators) {
            WireGuardPeer wg = op.wireguard();
            if (wg != null) {
                next.put(op.name(), wg);
                wanted.add(wg.toPeerConfig());
            }
        }
        PeerChanges changes = PeerChanges.between(device.peers(), wanted);
        List<PeerConfig> added = new ArrayList<>();
        List<WireGuardKey> seeded = new ArrayList<>();
        Map<WireGuardKey, byte[]> floors = new HashMap<>();
        for (PeerConfig peer : changes.added()) {
            EndpointStateFile.@Nullable Peer known = remembered.get(peer.publicKey());
            if (known != null) {
                // A new peer (startup, or added by a reload) whose endpoint we knew: initiate to
                // it, since the operator may hold a session this process cannot decrypt.
                peer = peer.withEndpoint(known.endpoint());
                seeded.add(peer.publicKey());
                byte @Nullable [] floor = known.latestInitiationBytes();
                if (floor != null) {
                    floors.put(peer.publicKey(), floor);
                }
            }
            added.add(peer);
        }
        try {
            device.apply(new PeerChanges(changes.removed(), added, changes.updated()), floors);
        } catch (IOException | RuntimeException e) {
            log.error("WireGuard {}: applying {} peer(s) failed", device.interfaceName(), wanted.size(), e);
            return;
        }
        for (WireGuardKey key : seeded) {
            try {
                device.initiateHandshake(key);
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "WireGuard {}: handshake to a remembered endpoint not sent ({})",
                        device.interfaceName(),
                        e.toString());
            }
        }
        if (!seeded.isEmpty()) {
            log.info(
                    "WireGuard {}: handshake initiated to {} operator(s) at their remembered endpoints",
                    device.interfaceName(),
                    seeded.size());
        }
        peers = Map.copyOf(next);
        updateMeters(next);
        if (!before.equals(next)) {
            log.info("WireGuard {}: {} peer(s) in force", device.interfaceName(), next.size());
        }
    }

    /**
     * Compares the tunnel's endpoints (learned from authenticated packets only) and replay floors
     * with the file's and rewrites it when one changed; peers no longer configured leave the file
     * then.
     */
    private void saveEndpoints() {
        if (!running) {
            return;
        }
        save();
    }

    private void save() {
        try {
            Map<WireGuardKey, EndpointStateFile.Peer> now = new LinkedHashMap<>();
            for (WireGuardPeer wg : peers.values()) {
                @Nullable PeerStats s = device.stats(wg.publicKey());
                @Nullable InetSocketAddress endpoint = s == null ? null : s.endpoint();
                if (endpoint != null) {
                    byte @Nullable [] latest = s.latestInitiation();
                    EndpointStateFile.Peer peer =
                            new EndpointStateFile.Peer(endpoint, latest == null ? null : EndpointStateFile.hex(latest));
                    now.put(wg.publicKey(), peer);
                    remembered.put(wg.publicKey(), peer);
                }
            }
            if (now.equals(saved)) {
                return;
            }
            endpointsFile.write(now);
            saved = now;
            saveFailureLogged = false;
        } catch (IOException | RuntimeException e) {
            if (!saveFailureLogged) {
                saveFailureLogged = true;
                log.warn(
                        "WireGuard {}: cannot write operator endpoints to {} ({}); after a restart operators "
                                + "reconnect only when their sessions age out",
                        device.interfaceName(),
                        endpointsFile.path(),
                        e.toString());
            }
        }
    }

    /**
     * Whether a connection to that peer can be expected to get through now: a live session, or an
     * endpoint to initiate to and the handshake not given up; any thread, no blocking. A peer
     * seeded with a remembered endpoint counts as reachable while its handshake is retried (up to
     * the engine's give-up time), like any peer with a known endpoint.
     */
    public boolean reachable(WireGuardKey key) {
        return device.isReachable(key);
    }

    public boolean running() {
        return running;
    }

    public String interfaceName() {
        return device.interfaceName();
    }

    public WireGuardKey publicKey() {
        return device.publicKey();
    }

    public int listenPort() {
        return device.listenPort();
    }

    /** Every peer with its counters, in operator order; any thread. */
    public List<PeerStatus> peers() {
        List<PeerStatus> out = new ArrayList<>();
        for (Map.Entry<String, WireGuardPeer> e : peers.entrySet()) {
            out.add(new PeerStatus(
                    e.getKey(), e.getValue(), device.stats(e.getValue().publicKey())));
        }
        return out;
    }

    /** Per-operator meters follow {@code operators}: gone or re-keyed ones removed, new ones registered. */
    private void updateMeters(Map<String, WireGuardPeer> operators) {
        for (String operator : List.copyOf(meters.keySet())) {
            WireGuardPeer now = operators.get(operator);
            if (now == null || !now.publicKey().equals(meters.get(operator).key())) {
                unregister(operator);
            }
        }
        operators.forEach((operator, wg) -> {
            if (!meters.containsKey(operator)) {
                meters.put(operator, new PeerMeters(wg.publicKey(), registerPeerMeters(operator, wg.publicKey())));
            }
        });
    }

    private List<Meter> registerPeerMeters(String operator, WireGuardKey key) {
        List<Meter> list = new ArrayList<>();
        list.add(Gauge.builder("relay.wireguard.peer.last.handshake.seconds", device, d -> {
                    @Nullable PeerStats s = d.stats(key);
                    Instant last = s == null ? null : s.lastHandshake();
                    return last == null
                            ? Double.NaN
                            : Duration.between(last, Instant.now()).toMillis() / 1000.0;
                })
                .description(
                        "Seconds since the last completed handshake with the operator's peer (NaN before the first)")
                .tag("operator", operator)
                .register(registry));
        list.add(peerCounter(
                        "relay.wireguard.peer.rx.bytes",
                        operator,
                        key,
                        "Bytes of WireGuard datagrams received from the peer",
                        PeerStats::rxBytes)
                .register(registry));
        list.add(peerCounter(
                        "relay.wireguard.peer.tx.bytes",
                        operator,
                        key,
                        "Bytes of WireGuard datagrams sent to the peer",
                        PeerStats::txBytes)
                .register(registry));
        list.add(peerCounter(
                        "relay.wireguard.peer.handshakes",
                        operator,
                        key,
                        "Handshakes completed with the peer",
                        PeerStats::handshakes)
                .register(registry));
        for (Drop drop : Drop.values()) {
            list.add(peerCounter(
                            "relay.wireguard.peer.drops",
                            operator,
                            key,
                            "Datagrams and packets of the peer dropped, by reason",
                            s -> s.drops().getOrDefault(drop, 0L))
                    .tag("reason", reason(drop))
                    .register(registry));
        }
        return list;
    }

    /** A cumulative count of one peer, read from the tunnel when scraped (NaN once the peer is gone). */
    private FunctionCounter.Builder<WireGuardDevice> peerCounter(
            String name, String operator, WireGuardKey key, String description, ToLongFunction<PeerStats> count) {
        return FunctionCounter.builder(name, device, d -> {
                    @Nullable PeerStats s = d.stats(key);
                    return s == null ? Double.NaN : count.applyAsLong(s);
                })
                .description(description)
                .tag("operator", operator);
    }

    private List<Meter> registerDeviceMeters() {
        List<Meter> list = new ArrayList<>();
        for (Drop drop : Drop.values()) {
            list.add(FunctionCounter.builder(
                            "relay.wireguard.drops",
                            device,
                            d -> d.deviceStats().drops().getOrDefault(drop, 0L))
                    .description("Datagrams and packets the tunnel dropped, by reason, whether or not a peer is known")
                    .tag("reason", reason(drop))
                    .register(registry));
        }
        Map<String, ToLongFunction<WireGuardDevice.DeviceStats>> tunDrops = Map.of(
                "read", WireGuardDevice.DeviceStats::tunReadDrops,
                "write", WireGuardDevice.DeviceStats::tunWriteDrops);
        tunDrops.forEach((direction, count) -> list.add(FunctionCounter.builder(
                        "relay.wireguard.tun.drops", device, d -> count.applyAsLong(d.deviceStats()))
                .description("Packets the device dropped at the TUN, by direction: reads that could not be split "
                        + "(offloaded super-packets), decrypted packets not written (writer queue full, kernel "
                        + "refusal)")
                .tag("direction", direction)
                .register(registry)));
        return list;
    }

    private static String reason(Drop drop) {
        return drop.name().toLowerCase(Locale.ROOT);
    }

    private void unregister(String operator) {
        PeerMeters removed = meters.remove(operator);
        if (removed != null) {
            removed.meters().forEach(registry::remove);
        }
    }

    /** Removes the meters, closes the UDP socket and the TUN device (the interface disappears). */
    @Override
    public synchronized void close() {
        running = false;
        saver.shutdownNow();
        try {
            // A last save after the saver stopped: what changed since its last poll is not lost.
            if (saver.awaitTermination(5, TimeUnit.SECONDS)) {
                save();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        UapiSocket socket = uapi;
        if (socket != null) {
            socket.close();
        }
        for (String operator : List.copyOf(meters.keySet())) {
            unregister(operator);
        }
        deviceMeters.forEach(registry::remove);
        device.close();
    }
}
