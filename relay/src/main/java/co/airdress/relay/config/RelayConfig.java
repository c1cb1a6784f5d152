package co.airdress.relay.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The relay's configuration file, validated. See README.md for every option and its default.
 */
public record RelayConfig(
        String pop,
        Listen listen,
        Management management,
        Path operatorsFile,
        Limits limits,
        Timeouts timeouts,
        Drain drain) {

    /** Listeners; a null address disables that listener. */
    public record Listen(@Nullable InetSocketAddress http, @Nullable InetSocketAddress tls) {}

    /** Management listener and the bearer token file for mutating /v1 calls (none: they are refused). */
    public record Management(InetSocketAddress listen, @Nullable Path tokenFile) {}

    public record Limits(
            int maxConnections,
            int maxConnectionsPerIp,
            int maxPeekingPerIp,
            int maxClientHello,
            int maxHttpHead) {}

    public record Timeouts(Duration peek, Duration connect, Duration idle) {}

    public record Drain(Duration delay, Duration timeout) {}
}
