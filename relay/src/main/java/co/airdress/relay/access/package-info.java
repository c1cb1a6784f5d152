/** The per-connection record and its one-line JSON access log. */
@NullMarked
package co.airdress.relay.access;

import org.jspecify.annotations.NullMarked;
