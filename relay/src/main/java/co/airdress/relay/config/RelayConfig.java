package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.sni.ClientHelloPeek;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The relay's configuration file, validated; {@code wireguard} is null when no tunnel is configured,
 * {@code directory} when the operators file is the directory (then {@code operatorsFile} is used;
 * with a directory it is not); {@code wireguardPublicEndpoint} is {@code wireguard.public_endpoint},
 * the {@code host:port} operators dial (the anycast address), null when not given. See README.md for
 * every option and its default.
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
        Upstreams upstreams,
        @Nullable DirectoryConfig directory,
        @Nullable BackhaulConfig backhaul,
        @Nullable String wireguardPublicEndpoint) {

    /**
     * A relay without a backhaul (it delivers only to operators attached to it) whose config names
     * no {@code wireguard.public_endpoint} (the address operators dial, which only
     * {@code relay operator-config} needs).
     */
    public RelayConfig(
            String pop,
            Listen listen,
            Management management,
            Path operatorsFile,
            Limits limits,
            Timeouts timeouts,
            Drain drain,
            @Nullable WireGuardConfig wireguard,
            Upstreams upstreams,
            @Nullable DirectoryConfig directory) {
        this(
                pop,
                listen,
                management,
                operatorsFile,
                limits,
                timeouts,
                drain,
                wireguard,
                upstreams,
                directory,
                null,
                null);
    }

    /**
     * A relay without a WireGuard tunnel (direct upstreams only), refusing loopback upstreams, its
     * operators from the operators file.
     */
    public RelayConfig(
            String pop,
            Listen listen,
            Management management,
            Path operatorsFile,
            Limits limits,
            Timeouts timeouts,
            Drain drain) {
        this(pop, listen, management, operatorsFile, limits, timeouts, drain, null, Upstreams.DEFAULT, null);
    }

    /**
     * Listeners: the sockets of each; none disables that listener. Each address gets its own
     * socket(s); {@link RelayConfigFile} decides which IPv6 sockets are IPv6-only.
     *
     * @param deferAccept TCP_DEFER_ACCEPT of every listening socket (whole seconds): the kernel hands
     *     a connection to the relay once the client's first bytes are in, or after about this long;
     *     zero turns it off. Only the native transports (io_uring, epoll) set it.
     */
    public record Listen(List<ListenSocket> http, List<ListenSocket> tls, Duration deferAccept) {

        /** The default {@code listen.defer_accept}: off (bench/README.md, "Goals"). */
        public static final Duration DEFAULT_DEFER_ACCEPT = Duration.ZERO;

        /** The largest {@code listen.defer_accept}. */
        public static final Duration MAX_DEFER_ACCEPT = Duration.ofMinutes(1);

        public Listen {
            http = List.copyOf(http);
            tls = List.copyOf(tls);
            requireNonNull(deferAccept, "deferAccept");
            if (deferAccept.isNegative()
                    || deferAccept.compareTo(MAX_DEFER_ACCEPT) > 0
                    || deferAccept.toNanosPart() != 0) {
                throw new IllegalArgumentException("deferAccept: " + deferAccept
                        + " (expected: whole seconds from 0 to " + MAX_DEFER_ACCEPT.toSeconds() + ")");
            }
        }

        /** The listeners' sockets with the default {@code defer_accept}. */
        public Listen(List<ListenSocket> http, List<ListenSocket> tls) {
            this(http, tls, DEFAULT_DEFER_ACCEPT);
        }

        /** One address (or none, null) per listener; an IPv6 wildcard then accepts IPv4 too. */
        public Listen(@Nullable InetSocketAddress http, @Nullable InetSocketAddress tls) {
            this(ListenSocket.single(http), ListenSocket.single(tls));
        }

        /** The same sockets with another {@code defer_accept}. */
        public Listen withDeferAccept(Duration deferAccept) {
            return new Listen(http, tls, deferAccept);
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

    /**
     * The data path's limits (relay/README.md, docs/limits-and-rules.md).
     *
     * @param maxConnectionsPerIp open connections per source: an IPv4 address or an IPv6 prefix
     * @param maxPeekingPerIp connections per source whose host is not known yet
     * @param ipv6Prefix the prefix length an IPv6 source is counted by, for these limits and the
     *     WireGuard handshake rate limiter (32..128)
     * @param maxClientHello handshake bytes of a ClientHello
     * @param maxTlsPeek bytes the TLS listener reads before the host must be known, record headers
     *     included; at least {@code maxClientHello + 5}
     * @param maxHttpHead bytes of the first request head, through the empty line
     */
    public record Limits(
            int maxConnections,
            int maxConnectionsPerIp,
            int maxPeekingPerIp,
            int ipv6Prefix,
            int maxClientHello,
            int maxTlsPeek,
            int maxHttpHead) {

        public Limits {
            if (ipv6Prefix < SourcePrefix.MIN_IPV6_LENGTH || ipv6Prefix > SourcePrefix.MAX_IPV6_LENGTH) {
                throw new IllegalArgumentException("ipv6Prefix: " + ipv6Prefix + " (expected: "
                        + SourcePrefix.MIN_IPV6_LENGTH + ".." + SourcePrefix.MAX_IPV6_LENGTH + ")");
            }
            if (maxTlsPeek < maxClientHello + 5) {
                throw new IllegalArgumentException("maxTlsPeek: " + maxTlsPeek
                        + " (expected: at least maxClientHello + 5 = " + (maxClientHello + 5) + ")");
            }
        }

        /**
         * With IPv6 sources counted by /64 and {@code maxTlsPeek} derived from {@code maxClientHello}
         * ({@link ClientHelloPeek#maxBytesFor}).
         */
        public Limits(
                int maxConnections, int maxConnectionsPerIp, int maxPeekingPerIp, int maxClientHello, int maxHttpHead) {
            this(
                    maxConnections,
                    maxConnectionsPerIp,
                    maxPeekingPerIp,
                    SourcePrefix.DEFAULT_IPV6_LENGTH,
                    maxClientHello,
                    ClientHelloPeek.maxBytesFor(maxClientHello),
                    maxHttpHead);
        }
    }

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
