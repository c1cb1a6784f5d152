/**
 * Bytes at rest: replacing a file so that it is never seen half written ({@link
 * co.airdress.relay.io.AtomicFile}), and SHA-256 digests of content and secrets ({@link
 * co.airdress.relay.io.Sha256}).
 */
@NullMarked
package co.airdress.relay.io;

import org.jspecify.annotations.NullMarked;
