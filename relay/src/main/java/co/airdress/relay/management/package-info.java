/** Management listener: /livez, /readyz, /metrics and the /v1 admin API over the operator directory. */
@NullMarked
package co.airdress.relay.management;

import org.jspecify.annotations.NullMarked;
