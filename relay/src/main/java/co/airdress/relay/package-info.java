/** The PoP daemon: listen, peek, route, dial, relay. */
@NullMarked
package co.airdress.relay;

import org.jspecify.annotations.NullMarked;
