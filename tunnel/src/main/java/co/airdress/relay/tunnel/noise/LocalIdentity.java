package co.airdress.relay.tunnel.noise;

import co.airdress.relay.tunnel.crypto.Blake2s;
import co.airdress.relay.tunnel.crypto.Curve25519;

/**
 * This device's static keypair plus the hash prefix every handshake addressed to it starts from,
 * and the buffers {@link Handshake#openInitiation} passes its secrets through (zero outside that
 * call). Owner thread only.
 */
public final class LocalIdentity {

    final byte[] privateKey;
    final byte[] publicKey;
    /** {@code HASH(Hi || Spub_local)}: the responder's initial hash. */
    final byte[] responderInitialHash;
    /** The DH output of an initiation's first step, between computing and mixing it. */
    final byte[] dh = new byte[32];
    /** The key that opens an initiation's static key, between deriving and using it. */
    final byte[] key = new byte[32];

    public LocalIdentity(byte[] privateKey) {
        this.privateKey = privateKey.clone();
        this.publicKey = Curve25519.publicKey(this.privateKey);
        this.responderInitialHash = Blake2s.hash(Handshake.INITIAL_HASH, publicKey);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }
}
