/**
 * Peeks at the first bytes of a connection without consuming them: the TLS ClientHello
 * ({@link ClientHelloPeek}: SNI, ALPN, versions, ECH) and the HTTP/1.x request head
 * ({@link HttpHeadPeek}: Host). Both are incremental, bounded, allocation-free on the success
 * path, and answer with a closed set of outcomes instead of throwing.
 */
@NullMarked
package co.airdress.relay.sni;

import org.jspecify.annotations.NullMarked;
