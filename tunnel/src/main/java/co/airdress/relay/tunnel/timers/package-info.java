/** WireGuard's timer semantics as pure state driven by a supplied monotonic clock. */
@NullMarked
package co.airdress.relay.tunnel.timers;

import org.jspecify.annotations.NullMarked;
