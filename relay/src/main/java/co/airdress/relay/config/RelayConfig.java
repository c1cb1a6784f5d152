package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

    /**
     * Listeners: the sockets of each; none disables that listener. Each address gets its own
     * socket(s); {@link RelayConfigFile} decides which IPv6 sockets are IPv6-only.
     */
    public record Listen(List<ListenSocket> http, List<ListenSocket> tls) {
        public Listen {
            http = List.copyOf(http);
            tls = List.copyOf(tls);
        }

        /** One address (or none, null) per listener; an IPv6 wildcard then accepts IPv4 too. */
        public Listen(@Nullable InetSocketAddress http, @Nullable InetSocketAddress tls) {
            this(ListenSocket.single(http), ListenSocket.single(tls));
        }
    }

    /**
     * An address a listener binds. {@code ipv6Only}: an IPv6 socket that takes no IPv4 connections
     * (IPV6_V6ONLY), used when the same listener binds IPv4 on a socket of its own; otherwise an
     * IPv6 wildcard ({@code [::]}) accepts IPv4 too (dual stack).
     */
    public record ListenSocket(InetSocketAddress address, boolean ipv6Only) {
        public ListenSocket {
            requireNonNull(address, "address");
            if (ipv6Only && !(address.getAddress() instanceof Inet6Address)) {
                throw new IllegalArgumentException(
                        "ipv6Only: true for " + address + " (expected: only for an IPv6 address)");
            }
        }

        static List<ListenSocket> single(@Nullable InetSocketAddress address) {
            return address == null ? List.of() : List.of(new ListenSocket(address, false));
        }
    }

    /** Management listener and the bearer token file for mutating /v1 calls (none: they are refused). */
    public record Management(
            InetSocketAddress listen, @Nullable Path tokenFile) {}

    public record Limits(
            int maxConnections, int maxConnectionsPerIp, int maxPeekingPerIp, int maxClientHello, int maxHttpHead) {}

    public record Timeouts(Duration peek, Duration connect, Duration idle) {}

    public record Drain(Duration delay, Duration timeout) {}
}
