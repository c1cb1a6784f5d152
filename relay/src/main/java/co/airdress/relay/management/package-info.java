/** Management listener: /livez, /readyz, /metrics and the /v1 admin API; the operators store behind it. */
@NullMarked
package co.airdress.relay.management;

import org.jspecify.annotations.NullMarked;
