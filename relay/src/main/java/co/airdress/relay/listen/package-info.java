/** Step 1, accept: transports, listeners, connection limits and the pipeline each connection starts with. */
@NullMarked
package co.airdress.relay.listen;

import org.jspecify.annotations.NullMarked;
