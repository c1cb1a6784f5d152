/** Graceful drain: readiness first, then stop accepting, then wait for connections to finish. */
@NullMarked
package co.airdress.relay.drain;

import org.jspecify.annotations.NullMarked;
