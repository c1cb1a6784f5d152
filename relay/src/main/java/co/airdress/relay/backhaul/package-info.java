/**
 * The backhaul between the PoPs of a network (docs/network.md): a WireGuard mesh of the PoPs' own
 * (announced on a compacted topic, so a new PoP needs no change on the others), the dialer that
 * hands a client connection to the PoP its operator is attached to, with a PROXY v2 header that
 * carries the original addresses, and the listener on the mesh address that takes such connections
 * and delivers them to the local operator tunnel.
 */
@NullMarked
package co.airdress.relay.backhaul;

import org.jspecify.annotations.NullMarked;
