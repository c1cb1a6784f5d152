/**
 * WireGuard for the relay: a sans-IO protocol engine (boringtun's {@code Tunn} shape, wireguard-go's
 * behaviour) that the I/O side drives with UDP datagrams, TUN packets and clock ticks.
 *
 * <p>Entry points: {@link co.airdress.relay.tunnel.WireGuardEngine} (one per device; see its
 * Javadoc for its parts and for the threading and buffer-ownership contract), configured by
 * {@link co.airdress.relay.tunnel.TunnelConfig} and one {@link co.airdress.relay.tunnel.PeerConfig}
 * per peer (changed in sets by {@link co.airdress.relay.tunnel.PeerChanges}), answering through a
 * {@link co.airdress.relay.tunnel.TunnelSink}, counting {@link co.airdress.relay.tunnel.Drop}s and
 * reporting {@link co.airdress.relay.tunnel.PeerStats}. {@link co.airdress.relay.tunnel.IpPrefix}
 * is the one address-with-prefix type (allowed IPs and interface addresses).
 * {@link co.airdress.relay.tunnel.WireGuardKeys} does what {@code wg genkey} / {@code wg pubkey} do.
 * The sub-packages ({@code crypto}, {@code noise}, {@code cookie}, {@code replay}, {@code timers},
 * {@code ratelimit}, {@code index}) are internals of this module, public only for cross-package use
 * and tests; {@link co.airdress.relay.tunnel.timers.ProtocolTimers} is the exception, as a test-only
 * knob of the config. The running interface (TUN device, UDP socket, I/O loop) is in
 * {@code device}.
 */
@NullMarked
package co.airdress.relay.tunnel;

import org.jspecify.annotations.NullMarked;
