/**
 * WireGuard for the relay: a sans-IO protocol core (boringtun's {@code Tunn} shape, wireguard-go's
 * behaviour) that the I/O side drives with UDP datagrams, TUN packets and clock ticks.
 *
 * <p>Entry points: {@link co.airdress.relay.tunnel.WireGuardTunnel} (one per device; see its
 * Javadoc for the threading and buffer-ownership contract), configured by
 * {@link co.airdress.relay.tunnel.TunnelConfig} and {@link co.airdress.relay.tunnel.PeerConfig},
 * answering through a {@link co.airdress.relay.tunnel.TunnelSink}, counting
 * {@link co.airdress.relay.tunnel.Drop}s and reporting {@link co.airdress.relay.tunnel.PeerStats}.
 * {@link co.airdress.relay.tunnel.WireGuardKeys} does what {@code wg genkey} / {@code wg pubkey} do.
 * The sub-packages ({@code crypto}, {@code noise}, {@code cookie}, {@code replay}, {@code timers},
 * {@code ratelimit}, {@code index}) are internals of this module, public only for cross-package use
 * and tests; {@link co.airdress.relay.tunnel.timers.ProtocolTimers} is the exception, as a test-only
 * knob of the config.
 */
@NullMarked
package co.airdress.relay.tunnel;

import org.jspecify.annotations.NullMarked;
