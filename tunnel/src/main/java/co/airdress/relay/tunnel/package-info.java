/** WireGuard for the relay: sans-IO protocol core, TUN device via FFM, UDP via Netty. */
@NullMarked
package co.airdress.relay.tunnel;

import org.jspecify.annotations.NullMarked;
