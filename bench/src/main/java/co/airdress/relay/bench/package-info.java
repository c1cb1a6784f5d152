/** JMH benchmarks of the relay's hot paths. */
@NullMarked
package co.airdress.relay.bench;

import org.jspecify.annotations.NullMarked;
