package co.airdress.relay.config;

import co.airdress.relay.sni.ClientHelloPeek;
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

    /** Management listener and the bearer token file for mutating /v1 calls (none: they are refused). */
    public record Management(
            InetSocketAddress listen, @Nullable Path tokenFile) {}

    /**
     * The data path's limits (relay/README.md, docs/limits-and-rules.md).
     *
     * @param maxClientHello handshake bytes of a ClientHello
     * @param maxTlsPeek bytes the TLS listener reads before the host must be known, record headers
     *     included; at least {@code maxClientHello + 5}
     * @param maxHttpHead bytes of the first request head, through the empty line
     */
    public record Limits(
            int maxConnections,
            int maxConnectionsPerIp,
            int maxPeekingPerIp,
            int maxClientHello,
            int maxTlsPeek,
            int maxHttpHead) {

        public Limits {
            if (maxTlsPeek < maxClientHello + 5) {
                throw new IllegalArgumentException("maxTlsPeek: " + maxTlsPeek
                        + " (expected: at least maxClientHello + 5 = " + (maxClientHello + 5) + ")");
            }
        }

        /** With {@code maxTlsPeek} derived from {@code maxClientHello} ({@link ClientHelloPeek#maxBytesFor}). */
        public Limits(
                int maxConnections, int maxConnectionsPerIp, int maxPeekingPerIp, int maxClientHello, int maxHttpHead) {
            this(
                    maxConnections,
                    maxConnectionsPerIp,
                    maxPeekingPerIp,
                    maxClientHello,
                    ClientHelloPeek.maxBytesFor(maxClientHello),
                    maxHttpHead);
        }
    }

    public record Timeouts(Duration peek, Duration connect, Duration idle) {}

    public record Drain(Duration delay, Duration timeout) {}
}
