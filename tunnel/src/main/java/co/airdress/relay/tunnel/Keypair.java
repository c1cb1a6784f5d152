package co.airdress.relay.tunnel;

import co.airdress.relay.tunnel.crypto.TransportCipher;
import co.airdress.relay.tunnel.noise.Handshake.SessionKeys;
import co.airdress.relay.tunnel.replay.ReplayWindow;

/** One transport session's keys and counters (wireguard-go {@code Keypair}). Owner thread only. */
final class Keypair {

    final PeerSession peer;
    final TransportCipher sender;
    final TransportCipher receiver;
    final ReplayWindow replay = new ReplayWindow();
    final boolean initiator;
    final long createdNanos;
    final int localIndex;
    final int remoteIndex;
    /** Next counter to send; compared unsigned. */
    long sendCounter;

    Keypair(PeerSession peer, SessionKeys keys, long createdNanos) {
        this.peer = peer;
        this.sender = new TransportCipher(keys.sendKey(), true);
        this.receiver = new TransportCipher(keys.receiveKey(), false);
        java.util.Arrays.fill(keys.sendKey(), (byte) 0);
        java.util.Arrays.fill(keys.receiveKey(), (byte) 0);
        this.initiator = keys.initiator();
        this.createdNanos = createdNanos;
        this.localIndex = keys.localIndex();
        this.remoteIndex = keys.remoteIndex();
    }
}
