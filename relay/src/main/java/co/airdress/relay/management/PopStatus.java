package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.RelayVersion;
import co.airdress.relay.access.Outcome;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.health.DirectoryStatus;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.Readiness;
import co.airdress.relay.health.RecentEvents;
import co.airdress.relay.listen.Listener;
import co.airdress.relay.metrics.DataPathMetrics;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.wireguard.OperatorTunnel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The live state the status page shows, read into a {@link StatusView}: health and its checks,
 * the drain, the listeners' counts and rates, the operators with their connections and tunnels,
 * the controller's announcement and the recent errors. {@link #tick} (once a second, from the
 * management listener) samples the counters for the rates and asks the controller; {@link #view}
 * reads everything else from cached state, without I/O, so the page is answered on the event loop.
 */
public final class PopStatus implements AutoCloseable {

    /** Operators listed on the page at most (dead tunnels first); the rest are counted. */
    static final int MAX_OPERATOR_ROWS = 500;

    /** How often the page reloads itself. */
    static final Duration REFRESH = Duration.ofSeconds(5);

    /** Outcomes that mean the relay refused the connection: answered with an error or closed unread. */
    static final Set<Outcome> REFUSALS = EnumSet.of(
            Outcome.UNKNOWN_HOST,
            Outcome.NO_HOST,
            Outcome.NOT_PROTOCOL,
            Outcome.TOO_LARGE,
            Outcome.MALFORMED,
            Outcome.PEEK_TIMEOUT,
            Outcome.UNREACHABLE,
            Outcome.OVER_LIMIT);

    private final RelayConfig config;
    private final HealthState health;
    private final OperatorDirectory operators;
    private final DataPathMetrics dataPath;
    private final @Nullable OperatorTunnel tunnel;
    private final String version;
    private final List<Listener> listeners = new ArrayList<>();
    private final ConnectionRates rates;
    private final AnnouncementWatch announcement;

    public PopStatus(
            RelayConfig config,
            HealthState health,
            OperatorDirectory operators,
            DataPathMetrics dataPath,
            @Nullable OperatorTunnel tunnel) {
        this.config = requireNonNull(config, "config");
        this.health = requireNonNull(health, "health");
        this.operators = requireNonNull(operators, "operators");
        this.dataPath = requireNonNull(dataPath, "dataPath");
        this.tunnel = tunnel;
        this.version = RelayVersion.current();
        if (config.listen().http() != null) {
            listeners.add(Listener.HTTP);
        }
        if (config.listen().tls() != null) {
            listeners.add(Listener.TLS);
        }
        this.rates = new ConnectionRates(listeners.size());
        this.announcement = new AnnouncementWatch(config.management().controllerStatus());
    }

    /** Samples the listeners' counters and asks the controller again; never blocks. */
    void tick(long nanos) {
        long[] accepted = new long[listeners.size()];
        long[] refused = new long[listeners.size()];
        for (int i = 0; i < listeners.size(); i++) {
            Listener l = listeners.get(i);
            accepted[i] = dataPath.acceptedCount(l);
            for (Outcome o : REFUSALS) {
                refused[i] += dataPath.closedCount(l, o);
            }
        }
        rates.sample(nanos, accepted, refused);
        announcement.poll();
    }

    /**
     * {@code checks.directory} of {@code /readyz}: where the operators come from and how current
     * they are; STALE (routing with a table that may be old) is a warning, DOWN (no table) bad.
     */
    static StatusView.Check directoryCheck(DirectoryStatus d) {
        StatusView.Level level = switch (d.status()) {
            case UP -> StatusView.Level.OK;
            case STALE -> StatusView.Level.WARN;
            case DOWN -> StatusView.Level.BAD;
        };
        StringBuilder detail = new StringBuilder("source ").append(d.source().label());
        if (d.offset() != null) {
            detail.append(", offset ").append(d.offset());
        }
        if (d.lag() != null) {
            detail.append(", lag ").append(d.lag());
        }
        Instant last = d.lastAppliedAt();
        detail.append(last != null ? ", last applied " + last : ", nothing applied yet");
        return new StatusView.Check("directory", d.status().name(), level, detail.toString());
    }

    /** The page's model now; {@code loops} is the event loop watch, if the data plane's loops are watched. */
    StatusView view(Instant now, @Nullable EventLoopWatch loops) {
        Map<String, Boolean> accepting = health.listeners();
        Boolean tunnelUp = health.tunnelUp();
        boolean listenersUp = HealthState.allAccepting(accepting);
        boolean operatorsLoaded = health.operatorsLoaded();
        boolean operatorsUp = health.operatorsUp();
        DirectoryStatus directory = health.directory();
        Instant drainStarted = health.drainStartedAt();
        Readiness readiness = HealthState.readiness(drainStarted != null, listenersUp, operatorsUp, tunnelUp);

        List<StatusView.Check> checks = new ArrayList<>();
        checks.add(new StatusView.Check(
                "listeners", Readiness.upIf(listenersUp), accepting.isEmpty() ? "no listener bound yet" : null));
        String operatorsError = health.operatorsError();
        checks.add(new StatusView.Check(
                "operators",
                Readiness.upIf(operatorsUp),
                operatorsError != null
                        ? operatorsError
                        : operatorsLoaded
                                ? operators.size() + " operators, route table version " + health.routeVersion()
                                : "no operators table yet"));
        if (tunnelUp != null) {
            checks.add(new StatusView.Check(
                    "tunnel", Readiness.upIf(tunnelUp), tunnelUp ? null : "the WireGuard device is not running"));
        }
        checks.add(new StatusView.Check("draining", drainStarted != null ? Readiness.DRAINING : Readiness.UP, null));
        checks.add(directoryCheck(directory));

        int open = 0;
        List<StatusView.ListenerRow> listenerRows = new ArrayList<>();
        for (int i = 0; i < listeners.size(); i++) {
            Listener l = listeners.get(i);
            int openHere = dataPath.active(l);
            open += openHere;
            listenerRows.add(new StatusView.ListenerRow(
                    l.label(),
                    Boolean.TRUE.equals(accepting.get(l.label())),
                    openHere,
                    dataPath.acceptedCount(l),
                    rates.acceptedPerSecond(i),
                    rates.refusedPerSecond(i)));
        }

        Map<String, PeerStats> peers = new HashMap<>();
        OperatorTunnel t = tunnel;
        if (t != null) {
            for (OperatorTunnel.PeerStatus p : t.peers()) {
                PeerStats s = p.stats();
                if (s != null) {
                    peers.put(p.operator(), s);
                }
            }
        }
        List<StatusView.OperatorRow> dead = new ArrayList<>();
        List<StatusView.OperatorRow> others = new ArrayList<>();
        for (Operator op : operators.list()) {
            StatusView.Tunnel tunnelRow = null;
            if (op.wireguard() != null) {
                PeerStats s = peers.get(op.name());
                Instant last = s == null ? null : s.lastHandshake();
                tunnelRow = new StatusView.Tunnel(
                        s != null && s.liveSession(), last == null ? null : Duration.between(last, now));
            }
            (tunnelRow != null && !tunnelRow.live() ? dead : others)
                    .add(new StatusView.OperatorRow(
                            op.name(),
                            op.wireguard() != null ? "wireguard" : "direct",
                            op.hosts(),
                            dataPath.operatorActiveNow(op.name()),
                            tunnelRow,
                            new StatusView.Attachment.Local()));
        }
        List<StatusView.OperatorRow> operatorRows = new ArrayList<>(dead);
        operatorRows.addAll(others);
        int notShown = Math.max(0, operatorRows.size() - MAX_OPERATOR_ROWS);
        if (notShown > 0) {
            operatorRows = operatorRows.subList(0, MAX_OPERATOR_ROWS);
        }

        List<StatusView.EventRow> events = new ArrayList<>();
        for (RecentEvents.Event e : health.events().newestFirst()) {
            events.add(new StatusView.EventRow(e.at(), e.source().label(), e.message()));
        }

        return new StatusView(
                health.pop(),
                version,
                now,
                REFRESH,
                readiness,
                checks,
                announcement.current(),
                new StatusView.Drain(
                        drainStarted, config.drain().delay(), config.drain().timeout()),
                new StatusView.Connections(open, config.limits().maxConnections()),
                listenerRows,
                operatorRows,
                notShown,
                loops == null ? List.of() : loops.stalls(),
                events);
    }

    @Override
    public void close() {
        announcement.close();
    }
}
