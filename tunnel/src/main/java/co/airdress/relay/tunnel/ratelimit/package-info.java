/** Per-source handshake rate limiting and under-load detection. Internal to the tunnel module. */
@NullMarked
package co.airdress.relay.tunnel.ratelimit;

import org.jspecify.annotations.NullMarked;
