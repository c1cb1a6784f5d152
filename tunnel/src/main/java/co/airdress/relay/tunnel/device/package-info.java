/** The running tunnel: TUN, UDP socket and protocol core joined by the device loop. */
@NullMarked
package co.airdress.relay.tunnel.device;

import org.jspecify.annotations.NullMarked;
