package co.airdress.relay.config;

import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The relay's configuration file, validated; {@code wireguard} is null when no tunnel is configured. See README.md for every option and its default.
 */
public record RelayConfig(
        String pop,
        Listen listen,
        Management management,
        Path operatorsFile,
        Limits limits,
        Timeouts timeouts,
        Drain drain,
        @Nullable WireGuardConfig wireguard,
        Upstreams upstreams) {

    /** A relay without a WireGuard tunnel (direct upstreams only), refusing loopback upstreams. */
    public RelayConfig(
            String pop,
            Listen listen,
            Management management,
            Path operatorsFile,
            Limits limits,
            Timeouts timeouts,
            Drain drain) {
        this(pop, listen, management, operatorsFile, limits, timeouts, drain, null, Upstreams.DEFAULT);
    }

    /** Listeners; a null address disables that listener. */
    public record Listen(
            @Nullable InetSocketAddress http, @Nullable InetSocketAddress tls) {}

    /**
     * Management listener, the bearer token file for /v1 calls (none: changes refused, reads
     * open), and the anycast controller's status address, which the status page asks whether the
     * VIP is announced (none: shown as unknown).
     */
    public record Management(
            InetSocketAddress listen,
            @Nullable Path tokenFile,
            @Nullable InetSocketAddress controllerStatus) {

        /** Without a controller status address. */
        public Management(InetSocketAddress listen, @Nullable Path tokenFile) {
            this(listen, tokenFile, null);
        }
    }

    public record Limits(
            int maxConnections, int maxConnectionsPerIp, int maxPeekingPerIp, int maxClientHello, int maxHttpHead) {}

    public record Timeouts(Duration peek, Duration connect, Duration idle) {}

    public record Drain(Duration delay, Duration timeout) {}

    /**
     * What a direct upstream may point at besides the rules that always hold (see {@link RelayContext}).
     *
     * @param allowLoopback whether upstreams on loopback addresses (127.0.0.0/8, ::1) are accepted:
     *     for tests and single-host labs whose upstream servers run beside the relay
     */
    public record Upstreams(boolean allowLoopback) {
        public static final Upstreams DEFAULT = new Upstreams(false);
    }
}
