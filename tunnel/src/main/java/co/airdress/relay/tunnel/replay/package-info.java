/** RFC 6479 anti-replay window for transport counters. Internal to the tunnel module. */
@NullMarked
package co.airdress.relay.tunnel.replay;

import org.jspecify.annotations.NullMarked;
