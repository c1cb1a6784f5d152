/** Configuration: the relay's YAML config and the operators file, parsed into records and validated with the path of each bad field. */
@NullMarked
package co.airdress.relay.config;

import org.jspecify.annotations.NullMarked;
