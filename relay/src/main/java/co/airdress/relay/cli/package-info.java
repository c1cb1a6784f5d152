/** The {@code relay} command line (picocli): run, check, genkey, pubkey and controller (the anycast controller). */
@NullMarked
package co.airdress.relay.cli;

import org.jspecify.annotations.NullMarked;
