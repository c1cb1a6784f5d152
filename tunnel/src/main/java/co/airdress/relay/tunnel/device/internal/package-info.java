/** The device loop's pieces that are not API: epoll registration of the TUN descriptor and the like. */
@NullMarked
package co.airdress.relay.tunnel.device.internal;

import org.jspecify.annotations.NullMarked;
