/**
 * Test support shared by every module: a guard that turns Netty leak reports into failures,
 * prerequisites that fail under {@code CI=true} instead of skipping, a condition waiter,
 * external peer processes and network namespaces.
 */
@NullMarked
package co.airdress.relay.testing;

import org.jspecify.annotations.NullMarked;
