/** Route table: host to operator, exact names and wildcards, immutable and swapped atomically on reload. */
@NullMarked
package co.airdress.relay.route;

import org.jspecify.annotations.NullMarked;
