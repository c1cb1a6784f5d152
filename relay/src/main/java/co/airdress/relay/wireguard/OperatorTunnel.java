package co.airdress.relay.wireguard;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.tunnel.Drop;
import co.airdress.relay.tunnel.IndexResolver;
import co.airdress.relay.tunnel.PeerChanges;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerEvent;
import co.airdress.relay.tunnel.PeerLookup;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.WireGuardEngine;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's WireGuard interface, whose peers are the operators of kind {@code wireguard} that
 * handshake with it. The daemon starts it when {@code wireguard:} is configured; the operator
 * directory calls {@link #apply} with every new operator set (startup, file reload, admin API,
 * the Kafka log), which replaces the key → operator map the tunnel consults when an initiation
 * arrives ({@link PeerLookup}): the peer's state is created then, bounded by
 * {@code wireguard.max_active_peers} and evicted when idle, so the PoP's memory grows with the
 * operators that use it, not with the directory. A live peer whose operator left the directory,
 * changed its key or its address is dropped at once.
 *
 * <p>Meters read the tunnel's counters when scraped, so nothing is done per packet: per live
 * peer, tagged with the operator's name and registered and removed as peers come and go (a poll,
 * every {@value #SAVE_INTERVAL_MS} ms), the time since the last handshake (a gauge) and the bytes,
 * handshakes and drops (counters); for the whole device, the drops by reason, the TUN reads and
 * writes dropped, the live peers, the re-attachments and the peer events dropped.
 *
 * <p>Subscribers ({@link #addPeerEventListener}) hear of every completed handshake and every peer
 * ended, with the operator's name, on the device's event thread.
 */
public final class OperatorTunnel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OperatorTunnel.class);

    /** One peer for /v1/peers: the operator it belongs to and the tunnel's counters. */
    public record PeerStatus(
            String operator, WireGuardPeer peer, @Nullable PeerStats stats) {}

    /**
     * A {@link PeerEvent} with the operator it concerns: null when the key is no longer in the
     * directory (e.g. a peer {@linkplain PeerEvent.Reason#REMOVED removed} with its operator).
     */
    public record OperatorPeerEvent(@Nullable String operator, PeerEvent event) {}

    /** A directory operator of kind {@code wireguard}, by its key. */
    private record Known(String operator, WireGuardPeer peer) {}

    private final WireGuardDevice device;
    private final MeterRegistry registry;
    // The directory's operators of kind wireguard by key: replaced by apply (the directory's
    // thread), read by the device's loop (lookups) and anywhere through the volatile.
    private volatile Map<WireGuardKey, Known> byKey = Map.of();
    /** Per-operator meters of live peers, with the key they were registered for; guarded by itself. */
    private final Map<String, PeerMeters> meters = new HashMap<>();
    /** Remembered endpoints not yet seeded: a handshake is initiated to each once its operator is known. */
    private final Map<WireGuardKey, EndpointStateFile.Peer> unseeded = new ConcurrentHashMap<>();

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
        unseeded.putAll(saved);
        device.peerLookup(new DirectoryLookup());
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
                config,
                List.of(),
                WireGuardDevice.Options.STANDARD
                        .withIpv6SourcePrefix(ipv6SourcePrefix)
                        .withPeerPolicy(config.peers()));
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
     * Makes {@code operators} of kind {@code wireguard} the ones whose handshakes are accepted
     * (other operators are ignored). Live peers whose key left the set, or whose operator's
     * address changed, are dropped now (their next handshake, if any, creates them anew). An
     * operator whose endpoint was remembered across a restart, and not yet contacted, gets a peer
     * with that endpoint and its remembered replay floor, and a handshake is initiated to it, since
     * it may hold a session this process cannot decrypt.
     */
    public synchronized void apply(List<Operator> operators) {
        requireNonNull(operators, "operators");
        Map<WireGuardKey, Known> next = new HashMap<>();
        for (Operator op : operators) {
            WireGuardPeer wg = op.wireguard();
            if (wg != null) {
                next.put(wg.publicKey(), new Known(op.name(), wg));
            }
        }
        int before = byKey.size();
        // The lookup answers from the new set before stale peers go, so none comes back.
        byKey = Map.copyOf(next);
        List<WireGuardKey> removed = new ArrayList<>();
        for (PeerConfig live : device.peers()) {
            Known known = next.get(live.publicKey());
            if (known == null || !known.peer().toPeerConfig().allowedIps().equals(live.allowedIps())) {
                removed.add(live.publicKey());
            }
        }
        if (!removed.isEmpty()) {
            try {
                device.apply(new PeerChanges(removed, List.of(), List.of()));
            } catch (IOException | RuntimeException e) {
                log.error("WireGuard {}: dropping {} peer(s) failed", device.interfaceName(), removed.size(), e);
            }
        }
        remembered.keySet().retainAll(next.keySet());
        int seeded = 0;
        for (Map.Entry<WireGuardKey, EndpointStateFile.Peer> e : List.copyOf(unseeded.entrySet())) {
            Known known = next.get(e.getKey());
            if (known == null) {
                continue;
            }
            unseeded.remove(e.getKey());
            try {
                if (device.seed(
                        known.peer().toPeerConfig().withEndpoint(e.getValue().endpoint()),
                        e.getValue().latestInitiationBytes())) {
                    seeded++;
                }
            } catch (IOException | RuntimeException ex) {
                log.warn(
                        "WireGuard {}: handshake to a remembered endpoint not sent ({})",
                        device.interfaceName(),
                        ex.toString());
            }
        }
        if (seeded > 0) {
            log.info(
                    "WireGuard {}: handshake initiated to {} operator(s) at their remembered endpoints",
                    device.interfaceName(),
                    seeded);
        }
        if (before != next.size() || !removed.isEmpty()) {
            log.info(
                    "WireGuard {}: {} operator key(s) accepted, {} live peer(s) dropped",
                    device.interfaceName(),
                    next.size(),
                    removed.size());
        }
    }

    /** The directory as the device's loop sees it: a map lookup, no blocking. */
    private final class DirectoryLookup implements PeerLookup {
        @Override
        public @Nullable PeerConfig find(WireGuardKey key) {
            Known known = byKey.get(key);
            return known == null ? null : known.peer().toPeerConfig();
        }

        @Override
        public byte @Nullable [] replayFloor(WireGuardKey key) {
            EndpointStateFile.@Nullable Peer peer = remembered.get(key);
            return peer == null ? null : peer.latestInitiationBytes();
        }
    }

    /**
     * Subscribes to handshakes completed and peers ended, with the operator's name: called on the
     * device's event thread, in order, never on the packet path; events that find the queue full
     * are dropped and counted ({@code relay_wireguard_peer_events_dropped_total}).
     */
    public void addPeerEventListener(Consumer<OperatorPeerEvent> listener) {
        requireNonNull(listener, "listener");
        device.addPeerEventListener(event -> {
            Known known = byKey.get(event.peer());
            listener.accept(new OperatorPeerEvent(known == null ? null : known.operator(), event));
        });
    }

    /**
     * Who resolves receiver indexes issued by other PoPs to operators' keys, for the re-attachment
     * fast path ({@code wireguard.reattach}); by default none resolves. Any thread.
     */
    public void indexResolver(IndexResolver resolver) {
        device.indexResolver(requireNonNull(resolver, "resolver"));
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
        updateMeters();
    }

    private void save() {
        try {
            Map<WireGuardKey, Known> known = byKey;
            for (PeerStats s : device.stats()) {
                @Nullable InetSocketAddress endpoint = s.endpoint();
                if (endpoint != null && known.containsKey(s.publicKey())) {
                    byte @Nullable [] latest = s.latestInitiation();
                    remembered.put(
                            s.publicKey(),
                            new EndpointStateFile.Peer(
                                    endpoint, latest == null ? null : EndpointStateFile.hex(latest)));
                }
            }
            // Operators whose peers were evicted stay: their replay floors outlive the peer.
            Map<WireGuardKey, EndpointStateFile.Peer> now = new LinkedHashMap<>();
            remembered.forEach((key, peer) -> {
                if (known.containsKey(key)) {
                    now.put(key, peer);
                }
            });
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
     * the engine's give-up time), like any peer with a known endpoint. An operator without a peer
     * (evicted when idle) whose last endpoint is remembered gets its peer back with that endpoint
     * and a handshake is initiated, without waiting: the connection's first packets are dropped
     * until the peer exists, and TCP sends them again.
     */
    public boolean reachable(WireGuardKey key) {
        if (device.isReachable(key)) {
            return true;
        }
        if (device.hasPeer(key)) {
            return false; // its handshake was given up, or no endpoint is known
        }
        // Evicted when idle (or not contacted since a restart): an endpoint it was last heard from
        // brings the peer back, and the connection's first packets wait for the handshake.
        Known known = byKey.get(key);
        EndpointStateFile.@Nullable Peer last = remembered.get(key);
        if (known == null || last == null) {
            return false;
        }
        unseeded.remove(key);
        device.seedLater(known.peer().toPeerConfig().withEndpoint(last.endpoint()), last.latestInitiationBytes());
        return true;
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

    /** Every live peer with its operator and counters, by operator name; any thread. */
    public List<PeerStatus> peers() {
        Map<WireGuardKey, Known> known = byKey;
        List<PeerStatus> out = new ArrayList<>();
        for (PeerStats s : device.stats()) {
            Known k = known.get(s.publicKey());
            if (k != null) {
                out.add(new PeerStatus(k.operator(), k.peer(), s));
            }
        }
        out.sort(Comparator.comparing(PeerStatus::operator));
        return out;
    }

    /** Per-operator meters follow the live peers: gone or re-keyed ones removed, new ones registered. */
    private void updateMeters() {
        Map<String, WireGuardKey> live = new HashMap<>();
        for (PeerStatus p : peers()) {
            live.put(p.operator(), p.peer().publicKey());
        }
        synchronized (meters) {
            if (!running) {
                return;
            }
            for (String operator : List.copyOf(meters.keySet())) {
                WireGuardKey now = live.get(operator);
                if (now == null || !now.equals(meters.get(operator).key())) {
                    unregister(operator);
                }
            }
            live.forEach((operator, key) -> {
                if (!meters.containsKey(operator)) {
                    meters.put(operator, new PeerMeters(key, registerPeerMeters(operator, key)));
                }
            });
        }
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
        list.add(Gauge.builder(
                        "relay.wireguard.peers.active",
                        device,
                        d -> d.deviceStats().activePeers())
                .description("Operators' peers the tunnel holds now (created by their handshakes, evicted when idle)")
                .register(registry));
        list.add(FunctionCounter.builder(
                        "relay.wireguard.peer.events.dropped",
                        device,
                        d -> d.deviceStats().peerEventDrops())
                .description("Peer events (handshakes, peers ended) dropped because the subscribers' queue was full")
                .register(registry));
        Map<String, ToLongFunction<WireGuardEngine.ReattachStats>> reattach = Map.of(
                "triggered", WireGuardEngine.ReattachStats::triggered,
                "limited", WireGuardEngine.ReattachStats::limited,
                "unresolved", WireGuardEngine.ReattachStats::unresolved);
        reattach.forEach((outcome, count) -> list.add(FunctionCounter.builder(
                        "relay.wireguard.reattach",
                        device,
                        d -> count.applyAsLong(d.deviceStats().reattach()))
                .description("Transport messages to a receiver index another PoP issued, by outcome: a handshake "
                        + "initiated to their source, refused by the per-operator or per-source rate limit, index or "
                        + "operator unknown")
                .tag("outcome", outcome)
                .register(registry)));
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
        synchronized (meters) {
            for (String operator : List.copyOf(meters.keySet())) {
                unregister(operator);
            }
        }
        deviceMeters.forEach(registry::remove);
        device.close();
    }
}
