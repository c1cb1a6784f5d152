package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One operator: the hosts it owns and how to reach it, either a direct {@code upstream} or a
 * {@code wireguard} peer of the relay's tunnel (exactly one of the two; validated by
 * {@link OperatorsFile}).
 *
 * @param name unique, [a-z0-9-]{1,63}
 * @param hosts normalised host patterns: exact names or "*.suffix" wildcards
 * @param upstream direct upstream; null for a WireGuard operator
 * @param proxyProtocol header written before the replayed bytes
 * @param wireguard the operator's tunnel peer; null for a direct operator
 */
public record Operator(
        String name,
        List<String> hosts,
        @Nullable Upstream upstream,
        ProxyProtocol proxyProtocol,
        @Nullable WireGuardPeer wireguard) {
    public Operator {
        requireNonNull(name, "name");
        hosts = List.copyOf(requireNonNull(hosts, "hosts"));
        requireNonNull(proxyProtocol, "proxyProtocol");
    }

    /** A direct operator. */
    public Operator(String name, List<String> hosts, @Nullable Upstream upstream, ProxyProtocol proxyProtocol) {
        this(name, hosts, upstream, proxyProtocol, null);
    }
}
