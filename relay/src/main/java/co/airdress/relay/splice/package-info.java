/** Step 6, splice: relay bytes both ways with backpressure, half-close and an idle timeout. */
@NullMarked
package co.airdress.relay.splice;

import org.jspecify.annotations.NullMarked;
