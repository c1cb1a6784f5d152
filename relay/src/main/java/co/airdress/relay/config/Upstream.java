package co.airdress.relay.config;

import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * A direct upstream: where connections for an operator go, per listener. Addresses are IP
 * literals (resolved at parse time, never on an event loop); a null side means the operator does
 * not serve that listener.
 */
public record Upstream(
        @Nullable InetSocketAddress http, @Nullable InetSocketAddress tls) {}
