package co.airdress.relay.config;

import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The relay's configuration file, validated; {@code wireguard} is null when no tunnel is configured,
 * {@code directory} when the operators file is the directory (then {@code operatorsFile} is used;
 * with a directory it is not). See README.md for every option and its default.
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
        @Nullable DirectoryConfig directory) {

    /** A relay whose operators come from the operators file. */
    public RelayConfig(
            String pop,
            Listen listen,
            Management management,
            Path operatorsFile,
            Limits limits,
            Timeouts timeouts,
            Drain drain,
            @Nullable WireGuardConfig wireguard) {
        this(pop, listen, management, operatorsFile, limits, timeouts, drain, wireguard, null);
    }

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

    /** Management listener and the bearer token file for mutating /v1 calls (none: they are refused). */
    public record Management(
            InetSocketAddress listen, @Nullable Path tokenFile) {}

    public record Limits(
            int maxConnections, int maxConnectionsPerIp, int maxPeekingPerIp, int maxClientHello, int maxHttpHead) {}

    public record Timeouts(Duration peek, Duration connect, Duration idle) {}

    public record Drain(Duration delay, Duration timeout) {}
}
