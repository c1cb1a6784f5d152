/**
 * The anycast controller ({@code bin/relay controller}): a process separate from the relay that
 * polls the relay's {@code /readyz} and drives BIRD so that the PoP's VIP is announced only while
 * the relay is proven healthy, de-preferred (GRACEFUL_SHUTDOWN + prepends) while it drains, and
 * withdrawn otherwise.
 *
 * <p>{@link co.airdress.relay.anycast.AnnouncementPolicy} is the sans-IO core; everything else is
 * I/O around it (probe, BIRD control socket, state include file, status listener).
 */
@NullMarked
package co.airdress.relay.anycast;

import org.jspecify.annotations.NullMarked;
