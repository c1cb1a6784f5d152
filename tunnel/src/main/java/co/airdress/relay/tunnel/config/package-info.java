/** WireGuard configuration records and wg-format key files. */
@NullMarked
package co.airdress.relay.tunnel.config;

import org.jspecify.annotations.NullMarked;
