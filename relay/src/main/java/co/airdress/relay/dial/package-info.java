/** Step 4, dial: connect to the operator on the client's event loop (direct upstream; the tunnel plugs in here). */
@NullMarked
package co.airdress.relay.dial;

import org.jspecify.annotations.NullMarked;
