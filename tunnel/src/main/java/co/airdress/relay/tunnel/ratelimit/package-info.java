/**
 * Per-source handshake rate limiting and under-load detection, and {@link
 * co.airdress.relay.tunnel.ratelimit.SourcePrefix}, the unit per-source limits count in (the
 * relay's connection limits use it too).
 */
@NullMarked
package co.airdress.relay.tunnel.ratelimit;

import org.jspecify.annotations.NullMarked;
