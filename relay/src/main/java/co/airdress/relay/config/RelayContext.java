package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.net.HostPort;
import co.airdress.relay.net.LocalAddresses;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What operators are checked against besides each other: this relay's own listeners, management
 * endpoint and tunnel, this host's addresses, and the {@code upstreams} switch. An operator must not
 * reach the relay or its host through the data plane, so a direct upstream may not be
 *
 * <ul>
 *   <li>one of the relay's listeners or its management endpoint (a listener on a wildcard address
 *       takes connections on every address of this host at its port);
 *   <li>inside the relay's tunnel prefixes (its own tunnel address, or a WireGuard operator's: those
 *       are reached as WireGuard operators);
 *   <li>the unspecified address (it reaches this host), a link-local address or a cloud metadata
 *       address (169.254.169.254, fd00:ec2::254, 100.100.100.200: instance credentials);
 *   <li>an address of one of this host's interfaces (its services listening on every address);
 *   <li>a loopback address, unless {@code upstreams.allow_loopback} is true.
 * </ul>
 *
 * <p>IPv4 addresses written as IPv6 (IPv4-mapped {@code ::ffff:127.0.0.1}, IPv4-compatible
 * {@code ::127.0.0.1}, NAT64 {@code 64:ff9b::7f00:1}) are judged as the IPv4 address they carry.
 * Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) are ordinary upstreams: a PoP's internal
 * network. Used by {@code relay check}, at startup, at every reload and by the admin API (see
 * {@link OperatorsFile#validateAgainst}).
 *
 * @param endpoints the relay's listeners and management endpoint, each with the config key naming it
 * @param tunnel the relay's WireGuard interface; null without one
 * @param upstreams the config's upstream switches
 * @param hostAddresses this host's interface addresses with their interface's name, read at each check
 */
public record RelayContext(
        List<Endpoint> endpoints,
        @Nullable WireGuardConfig tunnel,
        RelayConfig.Upstreams upstreams,
        Supplier<Map<InetAddress, String>> hostAddresses) {

    /** A relay listener or the management endpoint, e.g. {@code listen.tls} on {@code [::]:443}. */
    public record Endpoint(String key, InetSocketAddress address) {
        public Endpoint {
            requireNonNull(key, "key");
            requireNonNull(address, "address");
        }
    }

    private static final List<InetAddress> METADATA = List.of(
            InetAddress.ofLiteral("169.254.169.254"),
            InetAddress.ofLiteral("fd00:ec2::254"),
            InetAddress.ofLiteral("100.100.100.200"));
    private static final IpPrefix NAT64 = IpPrefix.parse("64:ff9b::/96");

    public RelayContext {
        endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
        requireNonNull(upstreams, "upstreams");
        requireNonNull(hostAddresses, "hostAddresses");
    }

    /** The context of a relay running {@code config} on this host. */
    public static RelayContext of(RelayConfig config) {
        requireNonNull(config, "config");
        List<Endpoint> endpoints = new ArrayList<>();
        for (RelayConfig.ListenSocket s : config.listen().http()) {
            endpoints.add(new Endpoint("listen.http", s.address()));
        }
        for (RelayConfig.ListenSocket s : config.listen().tls()) {
            endpoints.add(new Endpoint("listen.tls", s.address()));
        }
        endpoints.add(new Endpoint("management.listen", config.management().listen()));
        return new RelayContext(endpoints, config.wireguard(), config.upstreams(), LocalAddresses::current);
    }

    /**
     * A context without listeners (a directory or an API under test, a tool): {@code tunnel} and the
     * switch as given, this host's addresses as they are.
     */
    public static RelayContext of(@Nullable WireGuardConfig tunnel, RelayConfig.Upstreams upstreams) {
        return new RelayContext(List.of(), tunnel, upstreams, LocalAddresses::current);
    }

    /**
     * This context with this host's addresses read once, now: for checking many operators in one go
     * (reading the interfaces costs a system call per interface).
     */
    public RelayContext hostAddressesReadOnce() {
        Map<InetAddress, String> now = Map.copyOf(hostAddresses.get());
        return new RelayContext(endpoints, tunnel, upstreams, () -> now);
    }

    /**
     * Why {@code upstream} may not be a direct upstream, as the text after "expected: ", or null
     * when it may.
     */
    public @Nullable String refusal(InetSocketAddress upstream) {
        requireNonNull(upstream, "upstream");
        InetAddress written = upstream.getAddress();
        if (written == null) {
            return null; // unresolved: the file's own rules refuse it
        }
        InetAddress ip = carriedIpv4(written);
        Map<InetAddress, String> host = hostAddresses.get();
        for (Endpoint e : endpoints) {
            InetSocketAddress own = e.address();
            if (own.getPort() == 0 || own.getPort() != upstream.getPort()) {
                continue;
            }
            if (own.getAddress().isAnyLocalAddress() && isThisHost(ip, host)) {
                return "not the relay's own " + e.key() + " " + HostPort.format(own)
                        + ", which takes connections on every address of this host";
            }
            if (carriedIpv4(own.getAddress()).equals(ip)) {
                return "not the relay's own " + e.key() + " " + HostPort.format(own);
            }
        }
        if (tunnel != null) {
            for (IpPrefix p : tunnel.addresses()) {
                if (p.contains(ip.getAddress()) || p.contains(written.getAddress())) {
                    return "not inside the relay's tunnel prefixes " + tunnel.addresses()
                            + " (its own address, or an operator reached as a wireguard operator)";
                }
            }
        }
        if (ip.isAnyLocalAddress() || isZeroNetwork(ip)) {
            return "a specific address, not the unspecified address (it reaches this host)";
        }
        if (METADATA.contains(ip) || ip.isLinkLocalAddress()) {
            return "not a link-local or cloud metadata address (they reach this host's cloud services)";
        }
        if (ip.isLoopbackAddress()) {
            return upstreams.allowLoopback()
                    ? null
                    : "not a loopback address (it reaches this host's own services); set upstreams.allow_loopback "
                            + "in the relay config to allow one";
        }
        String nif = host.get(ip);
        if (nif != null) {
            return "not an address of this host (interface " + nif + "): it reaches this host's own services";
        }
        return null;
    }

    private static boolean isThisHost(InetAddress ip, Map<InetAddress, String> host) {
        return ip.isLoopbackAddress() || ip.isAnyLocalAddress() || isZeroNetwork(ip) || host.containsKey(ip);
    }

    /** 0.0.0.0/8, "this network": Linux connects 0.x.y.z to this host. */
    private static boolean isZeroNetwork(InetAddress ip) {
        return ip instanceof Inet4Address && ip.getAddress()[0] == 0;
    }

    /**
     * The IPv4 address an IPv6 address carries (IPv4-compatible {@code ::a.b.c.d} other than
     * {@code ::} and {@code ::1}, or NAT64 {@code 64:ff9b::/96}); any other address as it is. Java
     * already reads IPv4-mapped {@code ::ffff:a.b.c.d} as IPv4.
     */
    static InetAddress carriedIpv4(InetAddress ip) {
        if (!(ip instanceof Inet6Address)) {
            return ip;
        }
        byte[] raw = ip.getAddress();
        boolean compatible =
                Arrays.equals(raw, 0, 12, new byte[12], 0, 12) && !ip.isAnyLocalAddress() && !ip.isLoopbackAddress();
        if (!compatible && !NAT64.contains(raw)) {
            return ip;
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(raw, 12, 16));
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always an address
        }
    }
}
