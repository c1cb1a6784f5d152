/** The {@code relay} command line (picocli): run, check, and room for more subcommands. */
@NullMarked
package co.airdress.relay.cli;

import org.jspecify.annotations.NullMarked;
