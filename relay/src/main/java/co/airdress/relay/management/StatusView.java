package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.health.Readiness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the status page shows, read from the live state at one instant ({@link PopStatus#view});
 * {@link StatusPage} renders it. Nothing secret is in it: no keys, no token, no upstream
 * addresses (an operator's internal address is its own business), only names, hosts and counts.
 *
 * @param refresh how often the page reloads itself
 * @param checks the checks of {@code /readyz}, by name
 * @param operators the operators shown, dead tunnels first; at most {@link PopStatus#MAX_OPERATOR_ROWS}
 * @param operatorsNotShown the operators beyond those
 * @param eventLoops the data plane's event loops, each with how long it has not run the watch's task
 * @param events the last errors, newest first
 */
record StatusView(
        String pop,
        String version,
        Instant at,
        Duration refresh,
        Readiness readiness,
        List<Check> checks,
        Announcement announcement,
        Drain drain,
        Connections connections,
        List<ListenerRow> listeners,
        List<OperatorRow> operators,
        int operatorsNotShown,
        List<EventLoopWatch.Stall> eventLoops,
        List<EventRow> events) {

    StatusView {
        requireNonNull(pop, "pop");
        requireNonNull(version, "version");
        requireNonNull(at, "at");
        requireNonNull(refresh, "refresh");
        requireNonNull(readiness, "readiness");
        checks = List.copyOf(checks);
        requireNonNull(announcement, "announcement");
        requireNonNull(drain, "drain");
        requireNonNull(connections, "connections");
        listeners = List.copyOf(listeners);
        operators = List.copyOf(operators);
        eventLoops = List.copyOf(eventLoops);
        events = List.copyOf(events);
    }

    /**
     * One check of readiness: its word ({@code UP}, {@code DOWN}, {@code DRAINING}; the directory's
     * {@code STALE}), how serious it is, and what explains it.
     */
    record Check(
            String name,
            String status,
            Level level,
            @Nullable String detail) {
        Check {
            requireNonNull(name, "name");
            requireNonNull(status, "status");
            requireNonNull(level, "level");
        }

        /** A check whose word is a {@link Readiness}: UP is fine, DRAINING a warning, DOWN bad. */
        Check(String name, Readiness status, @Nullable String detail) {
            this(
                    name,
                    status.name(),
                    switch (status) {
                        case UP -> Level.OK;
                        case DRAINING -> Level.WARN;
                        case DOWN -> Level.BAD;
                    },
                    detail);
        }
    }

    /** How the page shows a state: fine, a warning, or bad. */
    enum Level {
        OK,
        WARN,
        BAD
    }

    /** Whether the anycast controller beside the relay announces the VIP, as far as the relay knows. */
    sealed interface Announcement {

        /** Not known: no controller address configured, or it did not answer; {@code reason} says which. */
        record Unknown(String reason) implements Announcement {}

        /**
         * The controller's own word ({@code GET /status}): its state, whether BIRD was told to
         * announce the VIP, with GRACEFUL_SHUTDOWN or not, and its flap back-off.
         */
        record Reported(
                String state,
                boolean announced,
                boolean gracefulShutdown,
                int recentFlaps,
                Duration holdRemaining,
                @Nullable String birdError,
                @Nullable String lastTransition)
                implements Announcement {}
    }

    /** The drain: started when, and the configured delay and timeout. */
    record Drain(@Nullable Instant since, Duration delay, Duration timeout) {
        boolean draining() {
            return since != null;
        }
    }

    /** Client connections open now, all listeners, against {@code limits.max_connections}. */
    record Connections(int open, int max) {}

    /**
     * One data-plane listener: whether it accepts, connections open and accepted, and the rates of
     * accepted and refused connections (answered with an error or closed unread) per second.
     */
    record ListenerRow(
            String name,
            boolean accepting,
            int open,
            long accepted,
            double acceptedPerSecond,
            double refusedPerSecond) {}

    /**
     * One operator: its kind ({@code direct} or {@code wireguard}), hosts, relayed connections
     * open, its tunnel (WireGuard operators only) and where it is attached.
     */
    record OperatorRow(
            String name,
            String kind,
            List<String> hosts,
            int open,
            @Nullable Tunnel tunnel,
            Attachment attachment) {
        OperatorRow {
            hosts = List.copyOf(hosts);
        }
    }

    /**
     * A WireGuard operator's tunnel: {@code live} while a session is up; {@code sinceHandshake} is
     * null until the first handshake. A tunnel without a live session is dead: connections to the
     * operator fail.
     */
    record Tunnel(boolean live, @Nullable Duration sinceHandshake) {}

    /** Where an operator's tunnel ends: at this PoP, or (once operators attach to one PoP) at another. */
    sealed interface Attachment {
        /** Attached here (every operator today). */
        record Local() implements Attachment {}

        /** Attached at another PoP, which this one forwards to. */
        record AtPop(String pop) implements Attachment {}
    }

    /** One of the last errors. */
    record EventRow(Instant at, String source, String message) {}
}
