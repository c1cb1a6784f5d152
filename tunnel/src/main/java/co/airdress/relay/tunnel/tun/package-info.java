/** The TUN device (opened through FFM) and the interface's addresses and MTU. */
@NullMarked
package co.airdress.relay.tunnel.tun;

import org.jspecify.annotations.NullMarked;
