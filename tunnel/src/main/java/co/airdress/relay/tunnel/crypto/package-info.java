/** WireGuard primitives: BLAKE2s hash/MAC, HMAC-BLAKE2s KDF, ChaCha20-Poly1305 (JDK for transport), XChaCha20-Poly1305 and X25519 (BouncyCastle). Internal to the tunnel module. */
@NullMarked
package co.airdress.relay.tunnel.crypto;

import org.jspecify.annotations.NullMarked;
