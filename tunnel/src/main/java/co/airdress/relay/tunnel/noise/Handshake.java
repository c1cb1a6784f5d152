package co.airdress.relay.tunnel.noise;

import static co.airdress.relay.tunnel.noise.Messages.*;

import co.airdress.relay.tunnel.crypto.Aead;
import co.airdress.relay.tunnel.crypto.Blake2s;
import co.airdress.relay.tunnel.crypto.Curve25519;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it: the handshake state one peer keeps
 * (wireguard-go {@code noise-protocol.go} semantics), with no I/O and no clock of its own.
 * Messages are produced and consumed without MAC1/MAC2; {@code cookie} adds and checks those.
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class Handshake {

    static final byte[] CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    static final byte[] IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] INITIAL_CHAINING_KEY = Blake2s.hash(CONSTRUCTION);
    public static final byte[] INITIAL_HASH = Blake2s.hash(INITIAL_CHAINING_KEY, IDENTIFIER);
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] ZERO_KEY = new byte[32];

    public enum State {
        ZEROED,
        INITIATION_CREATED,
        INITIATION_CONSUMED,
        RESPONSE_CREATED,
        RESPONSE_CONSUMED
    }

    private final LocalIdentity local;
    private final byte[] remoteStatic;
    private byte[] presharedKey;
    /** DH(Spriv_local, Spub_remote), computed once; null when it is all zeros (unusable peer). */
    private final byte @Nullable [] staticStatic;

    private State state = State.ZEROED;
    private byte[] hash = EMPTY;
    private byte[] chainingKey = EMPTY;
    private byte[] localEphemeral = EMPTY;
    private byte[] remoteEphemeral = EMPTY;
    private int localIndex;
    private int remoteIndex;
    private byte[] lastTimestamp = new byte[Tai64n.LENGTH];
    private boolean initiationConsumed;
    private long lastInitiationConsumedNanos;

    public Handshake(LocalIdentity local, byte[] remoteStatic, byte @Nullable [] presharedKey) {
        this.local = local;
        this.remoteStatic = remoteStatic.clone();
        this.presharedKey = presharedKey == null ? ZERO_KEY : presharedKey.clone();
        byte[] ss = new byte[32];
        this.staticStatic = Curve25519.dh(local.privateKey, this.remoteStatic, ss) ? ss : null;
    }

    public State state() {
        return state;
    }

    public int localIndex() {
        return localIndex;
    }

    public int remoteIndex() {
        return remoteIndex;
    }

    public byte[] remoteStatic() {
        return remoteStatic;
    }

    public boolean usable() {
        return staticStatic != null;
    }

    public void setPresharedKey(byte @Nullable [] psk) {
        this.presharedKey = psk == null ? ZERO_KEY : psk.clone();
    }

    /** Forgets the in-flight handshake (not the replay/flood memory of past initiations). */
    public void clear() {
        state = State.ZEROED;
        Arrays.fill(hash, (byte) 0);
        Arrays.fill(chainingKey, (byte) 0);
        Arrays.fill(localEphemeral, (byte) 0);
        hash = EMPTY;
        chainingKey = EMPTY;
        localEphemeral = EMPTY;
        remoteEphemeral = EMPTY;
        localIndex = 0;
        remoteIndex = 0;
    }

    // ---------------------------------------------------------------- initiator

    /**
     * Builds an initiation (148 bytes, MAC fields zero) with a fresh ephemeral key, or null if the
     * peer's static key is unusable.
     */
    public byte @Nullable [] createInitiation(int newLocalIndex, byte[] tai64n, SecureRandom random) {
        return createInitiation(newLocalIndex, tai64n, Curve25519.generatePrivateKey(random));
    }

    /** As above with a given ephemeral private key: for known-answer tests only. */
    public byte @Nullable [] createInitiation(int newLocalIndex, byte[] tai64n, byte[] ephemeralPrivate) {
        if (staticStatic == null) {
            return null;
        }
        byte[] msg = new byte[INITIATION_LENGTH];
        msg[0] = TYPE_INITIATION;
        putIntLE(msg, INIT_SENDER, newLocalIndex);
        byte[] ck = INITIAL_CHAINING_KEY;
        byte[] h = Blake2s.hash(INITIAL_HASH, remoteStatic);
        byte[] ePriv = ephemeralPrivate.clone();
        byte[] ePub = Curve25519.publicKey(ePriv);
        System.arraycopy(ePub, 0, msg, INIT_EPHEMERAL, 32);
        ck = Blake2s.kdf1(ck, ePub);
        h = Blake2s.hash(h, ePub);
        byte[] dh = new byte[32];
        if (!Curve25519.dh(ePriv, remoteStatic, dh)) {
            return null;
        }
        byte[][] ckKey = Blake2s.kdf2(ck, dh);
        ck = ckKey[0];
        byte[] encStatic = Aead.seal(ckKey[1], 0, local.publicKey, h);
        System.arraycopy(encStatic, 0, msg, INIT_STATIC, encStatic.length);
        h = Blake2s.hash(h, encStatic);
        ckKey = Blake2s.kdf2(ck, staticStatic);
        ck = ckKey[0];
        byte[] encTimestamp = Aead.seal(ckKey[1], 0, tai64n, h);
        System.arraycopy(encTimestamp, 0, msg, INIT_TIMESTAMP, encTimestamp.length);
        h = Blake2s.hash(h, encTimestamp);

        clear();
        this.localEphemeral = ePriv;
        this.hash = h;
        this.chainingKey = ck;
        this.localIndex = newLocalIndex;
        this.state = State.INITIATION_CREATED;
        return msg;
    }

    /**
     * Consumes a response (92 bytes, MACs already checked) answering our initiation; true on
     * success, after which {@link #deriveSession()} gives the transport keys.
     */
    public boolean consumeResponse(byte[] msg) {
        if (state != State.INITIATION_CREATED || getIntLE(msg, RESP_RECEIVER) != localIndex) {
            return false;
        }
        byte[] ePub = Arrays.copyOfRange(msg, RESP_EPHEMERAL, RESP_EPHEMERAL + 32);
        byte[] h = Blake2s.hash(hash, ePub);
        byte[] ck = Blake2s.kdf1(chainingKey, ePub);
        byte[] dh = new byte[32];
        if (!Curve25519.dh(localEphemeral, ePub, dh)) {
            return false;
        }
        ck = Blake2s.kdf1(ck, dh);
        if (!Curve25519.dh(local.privateKey, ePub, dh)) {
            return false;
        }
        ck = Blake2s.kdf1(ck, dh);
        byte[][] ckTauKey = Blake2s.kdf3(ck, presharedKey);
        ck = ckTauKey[0];
        h = Blake2s.hash(h, ckTauKey[1]);
        byte[] empty = Arrays.copyOfRange(msg, RESP_EMPTY, RESP_EMPTY + 16);
        if (Aead.open(ckTauKey[2], 0, empty, h) == null) {
            return false;
        }
        h = Blake2s.hash(h, empty);
        this.hash = h;
        this.chainingKey = ck;
        this.remoteIndex = getIntLE(msg, RESP_SENDER);
        this.state = State.RESPONSE_CONSUMED;
        return true;
    }

    // ---------------------------------------------------------------- responder

    /** The first half of consuming an initiation: who sent it. Needs only the local identity. */
    public record InitiationHeader(
            byte[] remoteStatic, byte[] hash, byte[] chainingKey, byte[] ephemeral, int senderIndex) {}

    /** Decrypts the initiator's static key; null when the message is not for us. */
    public static @Nullable InitiationHeader openInitiation(LocalIdentity local, byte[] msg) {
        byte[] ePub = Arrays.copyOfRange(msg, INIT_EPHEMERAL, INIT_EPHEMERAL + 32);
        byte[] ck = Blake2s.kdf1(INITIAL_CHAINING_KEY, ePub);
        byte[] h = Blake2s.hash(local.responderInitialHash, ePub);
        byte[] dh = new byte[32];
        if (!Curve25519.dh(local.privateKey, ePub, dh)) {
            return null;
        }
        byte[][] ckKey = Blake2s.kdf2(ck, dh);
        byte[] encStatic = Arrays.copyOfRange(msg, INIT_STATIC, INIT_STATIC + 48);
        byte[] remoteStatic = Aead.open(ckKey[1], 0, encStatic, h);
        if (remoteStatic == null) {
            return null;
        }
        h = Blake2s.hash(h, encStatic);
        return new InitiationHeader(remoteStatic, h, ckKey[0], ePub, getIntLE(msg, INIT_SENDER));
    }

    public enum InitiationOutcome {
        ACCEPTED,
        INVALID,
        REPLAYED,
        FLOOD
    }

    /**
     * The second half, on the handshake of the peer {@link #openInitiation} named: decrypts the
     * timestamp and applies the replay (strictly newer TAI64N) and flood (minimum interval) rules.
     */
    public InitiationOutcome consumeInitiation(
            InitiationHeader header, byte[] msg, long nowNanos, long minIntervalNanos) {
        if (staticStatic == null) {
            return InitiationOutcome.INVALID;
        }
        byte[][] ckKey = Blake2s.kdf2(header.chainingKey(), staticStatic);
        byte[] encTimestamp = Arrays.copyOfRange(msg, INIT_TIMESTAMP, INIT_TIMESTAMP + 28);
        byte[] timestamp = Aead.open(ckKey[1], 0, encTimestamp, header.hash());
        if (timestamp == null) {
            return InitiationOutcome.INVALID;
        }
        if (!Tai64n.after(timestamp, lastTimestamp)) {
            return InitiationOutcome.REPLAYED;
        }
        if (initiationConsumed && nowNanos - lastInitiationConsumedNanos <= minIntervalNanos) {
            return InitiationOutcome.FLOOD;
        }
        clear();
        this.hash = Blake2s.hash(header.hash(), encTimestamp);
        this.chainingKey = ckKey[0];
        this.remoteEphemeral = header.ephemeral();
        this.remoteIndex = header.senderIndex();
        this.lastTimestamp = timestamp;
        this.initiationConsumed = true;
        this.lastInitiationConsumedNanos = nowNanos;
        this.state = State.INITIATION_CONSUMED;
        return InitiationOutcome.ACCEPTED;
    }

    /** The timestamp of the last accepted initiation (for tests and diagnostics). */
    public byte[] lastTimestamp() {
        return lastTimestamp.clone();
    }

    public byte @Nullable [] createResponse(int newLocalIndex, SecureRandom random) {
        return createResponse(newLocalIndex, Curve25519.generatePrivateKey(random));
    }

    /** Builds the response (92 bytes, MAC fields zero); for known-answer tests the ephemeral is given. */
    public byte @Nullable [] createResponse(int newLocalIndex, byte[] ephemeralPrivate) {
        if (state != State.INITIATION_CONSUMED) {
            return null;
        }
        byte[] msg = new byte[RESPONSE_LENGTH];
        msg[0] = TYPE_RESPONSE;
        putIntLE(msg, RESP_SENDER, newLocalIndex);
        putIntLE(msg, RESP_RECEIVER, remoteIndex);
        byte[] ePriv = ephemeralPrivate.clone();
        byte[] ePub = Curve25519.publicKey(ePriv);
        System.arraycopy(ePub, 0, msg, RESP_EPHEMERAL, 32);
        byte[] h = Blake2s.hash(hash, ePub);
        byte[] ck = Blake2s.kdf1(chainingKey, ePub);
        byte[] dh = new byte[32];
        if (!Curve25519.dh(ePriv, remoteEphemeral, dh)) {
            return null;
        }
        ck = Blake2s.kdf1(ck, dh);
        if (!Curve25519.dh(ePriv, remoteStatic, dh)) {
            return null;
        }
        ck = Blake2s.kdf1(ck, dh);
        byte[][] ckTauKey = Blake2s.kdf3(ck, presharedKey);
        ck = ckTauKey[0];
        h = Blake2s.hash(h, ckTauKey[1]);
        byte[] empty = Aead.seal(ckTauKey[2], 0, EMPTY, h);
        System.arraycopy(empty, 0, msg, RESP_EMPTY, 16);
        h = Blake2s.hash(h, empty);
        Arrays.fill(ePriv, (byte) 0);
        this.hash = h;
        this.chainingKey = ck;
        this.localIndex = newLocalIndex;
        this.state = State.RESPONSE_CREATED;
        return msg;
    }

    // ---------------------------------------------------------------- both

    /** Transport keys of a completed handshake; {@code initiator} says which side we were. */
    public record SessionKeys(byte[] sendKey, byte[] receiveKey, boolean initiator, int localIndex, int remoteIndex) {}

    /** Derives the transport keys after RESPONSE_CREATED or RESPONSE_CONSUMED, then clears the state. */
    public @Nullable SessionKeys deriveSession() {
        boolean initiator;
        if (state == State.RESPONSE_CONSUMED) {
            initiator = true;
        } else if (state == State.RESPONSE_CREATED) {
            initiator = false;
        } else {
            return null;
        }
        byte[][] keys = Blake2s.kdf2(chainingKey, EMPTY);
        SessionKeys session = initiator
                ? new SessionKeys(keys[0], keys[1], true, localIndex, remoteIndex)
                : new SessionKeys(keys[1], keys[0], false, localIndex, remoteIndex);
        clear();
        return session;
    }
}
