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
 * <p>Secrets do not outlive their use: Diffie-Hellman outputs and the keys derived for each step
 * pass through the buffers {@code dh}, {@code key} and {@code tau} (the responder's first step
 * through {@link LocalIdentity}'s), which are zero again when a method returns; chaining keys and
 * ephemeral private keys are zeroed when replaced or cleared. What remains between messages is the
 * chaining key and ephemeral key of the handshake in flight, until it completes or is cleared.
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

    /** A Diffie-Hellman output, between computing it and mixing it into the chaining key. */
    final byte[] dh = new byte[32];
    /** A derived AEAD key (κ), between deriving and using it. */
    final byte[] key = new byte[32];
    /** The derived τ of the PSK step, between deriving it and mixing it into the hash. */
    final byte[] tau = new byte[32];

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
        byte[] old = presharedKey;
        this.presharedKey = psk == null ? ZERO_KEY : psk.clone();
        wipe(old); // ZERO_KEY stays zero
    }

    /** Forgets the in-flight handshake (not the replay/flood memory of past initiations). */
    public void clear() {
        state = State.ZEROED;
        wipe(hash);
        wipe(chainingKey);
        wipe(localEphemeral);
        hash = EMPTY;
        chainingKey = EMPTY;
        localEphemeral = EMPTY;
        remoteEphemeral = EMPTY;
        localIndex = 0;
        remoteIndex = 0;
    }

    /**
     * Forgets every secret, for a peer that is removed: the handshake in flight, the precomputed
     * static-static DH and the preshared key. The handshake is unusable afterwards.
     */
    public void destroy() {
        clear();
        if (staticStatic != null) {
            wipe(staticStatic);
        }
        wipe(presharedKey);
    }

    // ---------------------------------------------------------------- initiator

    /**
     * Builds an initiation (148 bytes, MAC fields zero) with a fresh ephemeral key, or null if the
     * peer's static key is unusable.
     */
    public byte @Nullable [] createInitiation(int newLocalIndex, byte[] tai64n, SecureRandom random) {
        byte[] ephemeral = Curve25519.generatePrivateKey(random);
        try {
            return createInitiation(newLocalIndex, tai64n, ephemeral);
        } finally {
            wipe(ephemeral);
        }
    }

    /** As above with a given ephemeral private key: for known-answer tests only. */
    public byte @Nullable [] createInitiation(int newLocalIndex, byte[] tai64n, byte[] ephemeralPrivate) {
        if (staticStatic == null) {
            return null;
        }
        byte[] msg = new byte[INITIATION_LENGTH];
        msg[0] = TYPE_INITIATION;
        putIntLE(msg, INIT_SENDER, newLocalIndex);
        byte[] ck = INITIAL_CHAINING_KEY.clone();
        byte[] ePriv = ephemeralPrivate.clone();
        try {
            byte[] h = Blake2s.hash(INITIAL_HASH, remoteStatic);
            byte[] ePub = Curve25519.publicKey(ePriv);
            System.arraycopy(ePub, 0, msg, INIT_EPHEMERAL, 32);
            Blake2s.kdf(ck, ePub, ck);
            h = Blake2s.hash(h, ePub);
            if (!Curve25519.dh(ePriv, remoteStatic, dh)) {
                return null;
            }
            Blake2s.kdf(ck, dh, ck, key);
            byte[] encStatic = Aead.seal(key, 0, local.publicKey, h);
            System.arraycopy(encStatic, 0, msg, INIT_STATIC, encStatic.length);
            h = Blake2s.hash(h, encStatic);
            Blake2s.kdf(ck, staticStatic, ck, key);
            byte[] encTimestamp = Aead.seal(key, 0, tai64n, h);
            System.arraycopy(encTimestamp, 0, msg, INIT_TIMESTAMP, encTimestamp.length);
            h = Blake2s.hash(h, encTimestamp);

            clear();
            this.localEphemeral = ePriv;
            this.hash = h;
            this.chainingKey = ck;
            ePriv = EMPTY;
            ck = EMPTY;
            this.localIndex = newLocalIndex;
            this.state = State.INITIATION_CREATED;
            return msg;
        } finally {
            wipe(dh, key, ck, ePriv);
        }
    }

    /**
     * Consumes a response (92 bytes, MACs already checked) answering our initiation; true on
     * success, after which {@link #deriveSession()} gives the transport keys.
     */
    public boolean consumeResponse(byte[] msg) {
        if (state != State.INITIATION_CREATED || getIntLE(msg, RESP_RECEIVER) != localIndex) {
            return false;
        }
        byte[] ck = chainingKey.clone();
        try {
            byte[] ePub = Arrays.copyOfRange(msg, RESP_EPHEMERAL, RESP_EPHEMERAL + 32);
            byte[] h = Blake2s.hash(hash, ePub);
            Blake2s.kdf(ck, ePub, ck);
            if (!Curve25519.dh(localEphemeral, ePub, dh)) {
                return false;
            }
            Blake2s.kdf(ck, dh, ck);
            if (!Curve25519.dh(local.privateKey, ePub, dh)) {
                return false;
            }
            Blake2s.kdf(ck, dh, ck);
            Blake2s.kdf(ck, presharedKey, ck, tau, key);
            h = Blake2s.hash(h, tau);
            byte[] empty = Arrays.copyOfRange(msg, RESP_EMPTY, RESP_EMPTY + 16);
            if (Aead.open(key, 0, empty, h) == null) {
                return false;
            }
            h = Blake2s.hash(h, empty);
            wipe(chainingKey);
            this.hash = h;
            this.chainingKey = ck;
            ck = EMPTY;
            this.remoteIndex = getIntLE(msg, RESP_SENDER);
            this.state = State.RESPONSE_CONSUMED;
            return true;
        } finally {
            wipe(dh, key, tau, ck);
        }
    }

    // ---------------------------------------------------------------- responder

    /**
     * The first half of consuming an initiation: who sent it. Needs only the local identity. Its
     * chaining key is a secret: {@link #consumeInitiation} zeroes it, and so must whoever drops a
     * header without consuming it ({@link #wipe()}).
     */
    public record InitiationHeader(
            byte[] remoteStatic, byte[] hash, byte[] chainingKey, byte[] ephemeral, int senderIndex) {

        /** Zeroes the chaining key. */
        public void wipe() {
            Arrays.fill(chainingKey, (byte) 0);
        }
    }

    /** Decrypts the initiator's static key; null when the message is not for us. */
    public static @Nullable InitiationHeader openInitiation(LocalIdentity local, byte[] msg) {
        byte[] ck = INITIAL_CHAINING_KEY.clone();
        try {
            byte[] ePub = Arrays.copyOfRange(msg, INIT_EPHEMERAL, INIT_EPHEMERAL + 32);
            Blake2s.kdf(ck, ePub, ck);
            byte[] h = Blake2s.hash(local.responderInitialHash, ePub);
            if (!Curve25519.dh(local.privateKey, ePub, local.dh)) {
                return null;
            }
            Blake2s.kdf(ck, local.dh, ck, local.key);
            byte[] encStatic = Arrays.copyOfRange(msg, INIT_STATIC, INIT_STATIC + 48);
            byte[] remoteStatic = Aead.open(local.key, 0, encStatic, h);
            if (remoteStatic == null) {
                return null;
            }
            h = Blake2s.hash(h, encStatic);
            InitiationHeader header = new InitiationHeader(remoteStatic, h, ck, ePub, getIntLE(msg, INIT_SENDER));
            ck = EMPTY;
            return header;
        } finally {
            wipe(local.dh, local.key, ck);
        }
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
     * The header's chaining key is zeroed whatever the outcome.
     */
    public InitiationOutcome consumeInitiation(
            InitiationHeader header, byte[] msg, long nowNanos, long minIntervalNanos) {
        byte[] ck = header.chainingKey().clone();
        header.wipe();
        try {
            if (staticStatic == null) {
                return InitiationOutcome.INVALID;
            }
            Blake2s.kdf(ck, staticStatic, ck, key);
            byte[] encTimestamp = Arrays.copyOfRange(msg, INIT_TIMESTAMP, INIT_TIMESTAMP + 28);
            byte[] timestamp = Aead.open(key, 0, encTimestamp, header.hash());
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
            this.chainingKey = ck;
            ck = EMPTY;
            this.remoteEphemeral = header.ephemeral();
            this.remoteIndex = header.senderIndex();
            this.lastTimestamp = timestamp;
            this.initiationConsumed = true;
            this.lastInitiationConsumedNanos = nowNanos;
            this.state = State.INITIATION_CONSUMED;
            return InitiationOutcome.ACCEPTED;
        } finally {
            wipe(key, ck);
        }
    }

    /** The timestamp of the last accepted initiation (all zeros before the first). */
    public byte[] lastTimestamp() {
        return lastTimestamp.clone();
    }

    /**
     * Raises the replay floor to {@code tai64n} if it is later than the last accepted timestamp:
     * initiations not newer than it are then {@link InitiationOutcome#REPLAYED}. A restarted
     * device restores the floor it had, so initiations captured before the restart stay refused.
     */
    public void raiseReplayFloor(byte[] tai64n) {
        if (tai64n.length != Tai64n.LENGTH) {
            throw new IllegalArgumentException("tai64n: " + tai64n.length + " bytes (expected: " + Tai64n.LENGTH + ")");
        }
        if (Tai64n.after(tai64n, lastTimestamp)) {
            lastTimestamp = tai64n.clone();
        }
    }

    public byte @Nullable [] createResponse(int newLocalIndex, SecureRandom random) {
        byte[] ephemeral = Curve25519.generatePrivateKey(random);
        try {
            return createResponse(newLocalIndex, ephemeral);
        } finally {
            wipe(ephemeral);
        }
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
        byte[] ck = chainingKey.clone();
        try {
            byte[] ePub = Curve25519.publicKey(ePriv);
            System.arraycopy(ePub, 0, msg, RESP_EPHEMERAL, 32);
            byte[] h = Blake2s.hash(hash, ePub);
            Blake2s.kdf(ck, ePub, ck);
            if (!Curve25519.dh(ePriv, remoteEphemeral, dh)) {
                return null;
            }
            Blake2s.kdf(ck, dh, ck);
            if (!Curve25519.dh(ePriv, remoteStatic, dh)) {
                return null;
            }
            Blake2s.kdf(ck, dh, ck);
            Blake2s.kdf(ck, presharedKey, ck, tau, key);
            h = Blake2s.hash(h, tau);
            byte[] empty = Aead.seal(key, 0, EMPTY, h);
            System.arraycopy(empty, 0, msg, RESP_EMPTY, 16);
            h = Blake2s.hash(h, empty);
            wipe(chainingKey);
            this.hash = h;
            this.chainingKey = ck;
            ck = EMPTY;
            this.localIndex = newLocalIndex;
            this.state = State.RESPONSE_CREATED;
            return msg;
        } finally {
            wipe(ePriv, dh, key, tau, ck);
        }
    }

    // ---------------------------------------------------------------- both

    /**
     * Transport keys of a completed handshake; {@code initiator} says which side we were. The
     * receiver of the keys ({@code Keypair}) zeroes both arrays once it holds them.
     */
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
        byte[] first = new byte[32];
        byte[] second = new byte[32];
        Blake2s.kdf(chainingKey, EMPTY, first, second);
        SessionKeys session = initiator
                ? new SessionKeys(first, second, true, localIndex, remoteIndex)
                : new SessionKeys(second, first, false, localIndex, remoteIndex);
        clear();
        return session;
    }

    private static void wipe(byte[]... secrets) {
        for (byte[] secret : secrets) {
            Arrays.fill(secret, (byte) 0);
        }
    }
}
