/** Health and readiness state shared by the data plane and the management endpoints. */
@NullMarked
package co.airdress.relay.health;

import org.jspecify.annotations.NullMarked;
