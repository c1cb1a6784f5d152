/** The relay's WireGuard tunnel as the daemon uses it: operators as peers, per-peer meters, peer status. */
@NullMarked
package co.airdress.relay.wireguard;

import org.jspecify.annotations.NullMarked;
