/** The WireGuard UDP socket: a Netty epoll datagram channel. */
@NullMarked
package co.airdress.relay.tunnel.udp;

import org.jspecify.annotations.NullMarked;
