/** MAC1/MAC2 and cookie replies (WireGuard's DoS mitigation). Internal to the tunnel module. */
@NullMarked
package co.airdress.relay.tunnel.cookie;

import org.jspecify.annotations.NullMarked;
