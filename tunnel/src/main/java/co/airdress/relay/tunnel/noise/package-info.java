/** Noise_IKpsk2 handshake as WireGuard uses it: message layouts, TAI64N, initiator and responder state. Internal to the tunnel module. */
@NullMarked
package co.airdress.relay.tunnel.noise;

import org.jspecify.annotations.NullMarked;
