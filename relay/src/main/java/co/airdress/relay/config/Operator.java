package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One operator: the hosts it owns and how to reach it.
 *
 * @param name unique, [a-z0-9-]{1,63}
 * @param hosts normalised host patterns: exact names or "*.suffix" wildcards
 * @param upstream direct upstream (null for a WireGuard operator, once the tunnel exists)
 * @param proxyProtocol header written before the replayed bytes
 */
public record Operator(String name, List<String> hosts, @Nullable Upstream upstream, ProxyProtocol proxyProtocol) {
    public Operator {
        requireNonNull(name, "name");
        hosts = List.copyOf(requireNonNull(hosts, "hosts"));
        requireNonNull(proxyProtocol, "proxyProtocol");
    }
}
