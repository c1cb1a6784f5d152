/** The JSON of the relay's and the controller's HTTP endpoints. */
@NullMarked
package co.airdress.relay.json;

import org.jspecify.annotations.NullMarked;
