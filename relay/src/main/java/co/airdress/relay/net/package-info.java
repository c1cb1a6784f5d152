/** Addresses as text: {@code ip:port} parsed and written with IP literals only, never a DNS lookup. */
@NullMarked
package co.airdress.relay.net;

import org.jspecify.annotations.NullMarked;
