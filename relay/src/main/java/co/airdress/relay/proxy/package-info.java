/** Step 5, PROXY protocol: the v1/v2 header with the real client address and our TLVs. */
@NullMarked
package co.airdress.relay.proxy;

import org.jspecify.annotations.NullMarked;
