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
        @Nullable WireGuardConfig wireguard) {

    /** A relay without a WireGuard tunnel (direct upstreams only). */
    public RelayConfig(
            String pop,
            Listen listen,
            Management management,
            Path operatorsFile,
            Limits limits,
            Timeouts timeouts,
            Drain drain) {
        this(pop, listen, management, operatorsFile, limits, timeouts, drain, null);
    }

    /** Listeners; a null address disables that listener. */
    public record Listen(
            @Nullable InetSocketAddress http, @Nullable InetSocketAddress tls) {}

    /**
     * Management listener, the bearer token file for mutating /v1 calls (none: they are refused),
     * and the anycast controller's status address, which the status page asks whether the VIP is
     * announced (none: shown as unknown).
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
}
