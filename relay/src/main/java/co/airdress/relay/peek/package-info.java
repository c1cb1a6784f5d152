/** Step 2, peek: read the ClientHello or request head without consuming it, or answer and close. */
@NullMarked
package co.airdress.relay.peek;

import org.jspecify.annotations.NullMarked;
