/**
 * Refusing a connection, at whichever step decides it (peek, route, dial): why ({@link
 * co.airdress.relay.refusal.Refusal}) and the answer the client gets before the close, a TLS alert
 * or an HTTP response ({@link co.airdress.relay.refusal.Answers}).
 */
@NullMarked
package co.airdress.relay.refusal;

import org.jspecify.annotations.NullMarked;
