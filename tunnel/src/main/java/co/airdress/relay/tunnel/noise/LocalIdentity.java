package co.airdress.relay.tunnel.noise;

import co.airdress.relay.tunnel.crypto.Blake2s;
import co.airdress.relay.tunnel.crypto.Curve25519;

/** This device's static keypair plus the hash prefix every handshake addressed to it starts from. */
public final class LocalIdentity {

    final byte[] privateKey;
    final byte[] publicKey;
    /** {@code HASH(Hi || Spub_local)}: the responder's initial hash. */
    final byte[] responderInitialHash;

    public LocalIdentity(byte[] privateKey) {
        this.privateKey = privateKey.clone();
        this.publicKey = Curve25519.publicKey(this.privateKey);
        this.responderInitialHash = Blake2s.hash(Handshake.INITIAL_HASH, publicKey);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }
}
