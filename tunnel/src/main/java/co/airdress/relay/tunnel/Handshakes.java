package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.index.IndexTable;
import co.airdress.relay.tunnel.noise.Handshake.SessionKeys;
import co.airdress.relay.tunnel.noise.Tai64n;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Handshake and keypair state of every peer (wireguard-go's {@code noise-protocol.go} session
 * half, {@code keypair.go} and {@code indextable.go}): sending initiations at most once per
 * REKEY_TIMEOUT, answering an accepted initiation, turning a finished handshake into a keypair,
 * rotating previous / current / next, confirming the responder's next keypair, rekeying before
 * keys age out, and forgetting keys. The receiver-index table maps each local index to the peer
 * whose handshake is in flight or to a {@link Keypair}.
 *
 * <p>The message crypto itself is {@link co.airdress.relay.tunnel.noise.Handshake}'s; when to act
 * is the engine's timer dispatch. A keypair that is replaced or forgotten has its keys zeroed
 * ({@link Keypair#destroy}); the handshake zeroes its own intermediate secrets. Owner thread only.
 */
final class Handshakes {

    private final IndexTable<Object> indices = new IndexTable<>();
    private final ProtocolTimers protocol;
    private final SecureRandom random;
    private final InstantSource wallClock;
    private final long rekeyAfterTime;
    private final long rejectAfterTime;
    private final long rekeyTimeout;
    private final long keepaliveTimeout;
    /** Where completed handshakes are told; set by the engine. */
    volatile PeerEvent.Listener events = PeerEvent.Listener.NONE;

    Handshakes(ProtocolTimers protocol, SecureRandom random, InstantSource wallClock) {
        this.protocol = protocol;
        this.random = random;
        this.wallClock = wallClock;
        this.rekeyAfterTime = protocol.rekeyAfterTime().toNanos();
        this.rejectAfterTime = protocol.rejectAfterTime().toNanos();
        this.rekeyTimeout = protocol.rekeyTimeout().toNanos();
        this.keepaliveTimeout = protocol.keepaliveTimeout().toNanos();
    }

    /** The peer whose handshake has local index {@code index}, the {@link Keypair} with it, or null. */
    @Nullable
    Object byIndex(int index) {
        return indices.get(index);
    }

    /**
     * Sends an initiation to the peer's endpoint unless one went out within REKEY_TIMEOUT; a
     * {@code retry} keeps counting towards giving up, anything else starts the count afresh.
     */
    void initiate(PeerSession peer, boolean retry, long now, TunnelSink out) {
        InetSocketAddress endpoint = peer.endpoint;
        if (endpoint != null) {
            initiateTo(peer, endpoint, peer.endpointSocket, retry, now, out);
        } else if (!retry) {
            peer.timers.resetAttempts();
            peer.gaveUp = false;
        }
    }

    /**
     * As {@link #initiate}, to {@code endpoint} whatever the peer's own endpoint is (which stays
     * until an authenticated packet moves it); returns whether an initiation went out. Within
     * REKEY_TIMEOUT of the last initiation no other goes to the same endpoint; one to another
     * endpoint does (the re-attachment fast path: an unanswered initiation to a stranger who
     * replayed the peer's index must not hold back the one to the peer).
     */
    boolean initiateTo(
            PeerSession peer, InetSocketAddress endpoint, int socket, boolean retry, long now, TunnelSink out) {
        if (!retry) {
            peer.timers.resetAttempts();
            peer.gaveUp = false;
        }
        if (peer.sentHandshake
                && now - peer.lastSentHandshakeNanos < rekeyTimeout
                && endpoint.equals(peer.lastHandshakeEndpoint)) {
            return false;
        }
        unindexHandshake(peer);
        int index = indices.insert(peer, random);
        byte[] msg = peer.handshake.createInitiation(index, Tai64n.of(wallClock.instant()), random);
        if (msg == null) {
            indices.remove(index, peer);
            return false;
        }
        peer.handshakeIndex = index;
        peer.handshakeIndexed = true;
        peer.sentHandshake = true;
        peer.lastSentHandshakeNanos = now;
        peer.lastHandshakeEndpoint = endpoint;
        peer.cookies.addMacs(msg, now);
        peer.authenticatedSent(now);
        peer.send(socket, endpoint, Unpooled.wrappedBuffer(msg), out);
        peer.timers.onHandshakeInitiated(now);
        return true;
    }

    /**
     * After an accepted initiation: the response (MACs added) with the new keypair held as
     * {@code next} until the initiator's first transport message confirms it; null when no response
     * can be made. Replaces any handshake of ours in flight.
     */
    byte @Nullable [] respond(PeerSession peer, long now) {
        unindexHandshake(peer);
        int index = indices.insert(peer, random);
        byte[] response = peer.handshake.createResponse(index, random);
        if (response == null) {
            indices.remove(index, peer);
            return null;
        }
        peer.cookies.addMacs(response, now);
        SessionKeys keys = peer.handshake.deriveSession();
        beginSession(peer, requireNonNull(keys, "keys"), index, now);
        return response;
    }

    /** After a consumed response to our initiation with local index {@code index}: the new current keypair. */
    void completeInitiation(PeerSession peer, int index, InetSocketAddress from, long now) {
        SessionKeys keys = requireNonNull(peer.handshake.deriveSession(), "keys");
        peer.handshakeIndexed = false;
        beginSession(peer, keys, index, now);
        handshakeComplete(peer, from);
    }

    /**
     * A transport message authenticated under {@code keypair}: if it is the peer's {@code next}, the
     * initiator has confirmed it and it becomes current. Returns whether it did.
     */
    boolean confirm(Keypair keypair, InetSocketAddress from) {
        PeerSession peer = keypair.peer;
        if (keypair != peer.next) {
            return false;
        }
        forget(peer.previous);
        peer.previous = peer.current;
        peer.setCurrent(keypair);
        peer.next = null;
        handshakeComplete(peer, from);
        return true;
    }

    /** The current keypair if it may still send: younger than REJECT_AFTER_TIME, counter not exhausted. */
    @Nullable
    Keypair sendable(PeerSession peer, long now) {
        Keypair keypair = peer.current;
        if (keypair == null
                || now - keypair.createdNanos >= rejectAfterTime
                || Long.compareUnsigned(keypair.sendCounter, protocol.rejectAfterMessages()) >= 0) {
            return null;
        }
        return keypair;
    }

    /** After sending: a new handshake once the keypair has sent REKEY_AFTER_MESSAGES or (as initiator) aged. */
    void keepFreshSending(PeerSession peer, long now, TunnelSink out) {
        Keypair keypair = peer.current;
        if (keypair == null) {
            return;
        }
        if (Long.compareUnsigned(keypair.sendCounter, protocol.rekeyAfterMessages()) > 0
                || (keypair.initiator && now - keypair.createdNanos > rekeyAfterTime)) {
            initiate(peer, false, now, out);
        }
    }

    /** After receiving: the initiator's one last-minute handshake before its keypair is rejected. */
    void keepFreshReceiving(PeerSession peer, long now, TunnelSink out) {
        if (peer.sentLastMinuteHandshake) {
            return;
        }
        Keypair keypair = peer.current;
        if (keypair != null
                && keypair.initiator
                && now - keypair.createdNanos > rejectAfterTime - keepaliveTimeout - rekeyTimeout) {
            peer.sentLastMinuteHandshake = true;
            initiate(peer, false, now, out);
        }
    }

    /** Forgets the peer's keypairs and handshake (ZERO_KEY_MATERIAL, removal). */
    void zeroKeyMaterial(PeerSession peer) {
        forget(peer.previous);
        forget(peer.current);
        forget(peer.next);
        peer.previous = null;
        peer.setCurrent(null);
        peer.next = null;
        unindexHandshake(peer);
        peer.handshake.clear();
    }

    private void beginSession(PeerSession peer, SessionKeys keys, int index, long now) {
        Keypair keypair = new Keypair(peer, keys, now);
        if (!indices.replace(index, peer, keypair)) {
            indices.putIfAbsent(index, keypair);
        }
        if (keypair.initiator) {
            if (peer.next != null) {
                Keypair oldNext = peer.next;
                peer.next = null;
                forget(peer.previous);
                forget(peer.current);
                peer.previous = oldNext;
            } else {
                forget(peer.previous);
                peer.previous = peer.current;
            }
            peer.setCurrent(keypair);
        } else {
            forget(peer.next);
            peer.next = keypair;
            forget(peer.previous);
            peer.previous = null;
        }
        peer.timers.onSessionDerived(now);
    }

    private void handshakeComplete(PeerSession peer, InetSocketAddress from) {
        peer.timers.onHandshakeComplete();
        peer.sentLastMinuteHandshake = false;
        peer.gaveUp = false;
        Instant at = wallClock.instant();
        peer.lastHandshake = at;
        peer.handshakes++;
        PeerEvent.Listener listener = events;
        if (listener != PeerEvent.Listener.NONE) {
            Keypair current = requireNonNull(peer.current, "current");
            Keypair previous = peer.previous;
            List<Integer> indexes =
                    previous == null ? List.of(current.localIndex) : List.of(current.localIndex, previous.localIndex);
            listener.onPeerEvent(new PeerEvent.HandshakeCompleted(peer.publicKey, indexes, from, at));
        }
    }

    private void unindexHandshake(PeerSession peer) {
        if (peer.handshakeIndexed) {
            indices.remove(peer.handshakeIndex, peer);
            peer.handshakeIndexed = false;
        }
    }

    /** Unindexes a keypair that is replaced or dropped and zeroes its keys. */
    private void forget(@Nullable Keypair keypair) {
        if (keypair != null) {
            indices.remove(keypair.localIndex, keypair);
            keypair.destroy();
        }
    }
}
