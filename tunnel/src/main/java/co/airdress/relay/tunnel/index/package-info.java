/** Random 32-bit receiver indices and their table. Internal to the tunnel module. */
@NullMarked
package co.airdress.relay.tunnel.index;

import org.jspecify.annotations.NullMarked;
