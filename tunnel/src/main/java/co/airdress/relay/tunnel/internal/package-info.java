/** Linux system calls through the Foreign Function & Memory API; not a public API. */
@NullMarked
package co.airdress.relay.tunnel.internal;

import org.jspecify.annotations.NullMarked;
