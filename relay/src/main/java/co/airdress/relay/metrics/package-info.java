/** Micrometer meters of the relay, exported in Prometheus text. */
@NullMarked
package co.airdress.relay.metrics;

import org.jspecify.annotations.NullMarked;
