/**
 * The running WireGuard interface: {@link co.airdress.relay.tunnel.device.WireGuardDevice} joins
 * the kernel's TUN device, the UDP socket and the protocol engine on one event loop, whose work is
 * the {@code DeviceLoop}; {@code internal} holds the TUN writer thread and the epoll registration.
 */
@NullMarked
package co.airdress.relay.tunnel.device;

import org.jspecify.annotations.NullMarked;
