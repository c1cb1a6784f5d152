package co.airdress.relay.tunnel.timers;

import java.util.random.RandomGenerator;

/**
 * One peer's five WireGuard timers (wireguard-go {@code timers.go}) as deadlines on a supplied
 * monotonic clock. The {@code on*} methods are wireguard-go's event hooks; {@link #expire} reports
 * which timers have fired (each at most once per arming) for the caller to act on. No I/O, no
 * threads: the engine calls {@code expire} from its tick.
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class PeerTimers {

    public static final int RETRANSMIT_HANDSHAKE = 1;
    public static final int SEND_KEEPALIVE = 1 << 1;
    public static final int NEW_HANDSHAKE = 1 << 2;
    public static final int ZERO_KEY_MATERIAL = 1 << 3;
    public static final int PERSISTENT_KEEPALIVE = 1 << 4;
    private static final int COUNT = 5;

    private final long rekeyTimeout;
    private final long jitterMax;
    private final long keepaliveTimeout;
    private final long rejectAfterTime;
    private final RandomGenerator random;
    private final long[] deadline = new long[COUNT];
    private int pending;

    private long persistentKeepaliveNanos;
    private boolean needAnotherKeepalive;
    private int handshakeAttempts;

    public PeerTimers(ProtocolTimers timers, long persistentKeepaliveNanos, RandomGenerator random) {
        this.rekeyTimeout = timers.rekeyTimeout().toNanos();
        this.jitterMax = timers.rekeyTimeoutJitterMax().toNanos();
        this.keepaliveTimeout = timers.keepaliveTimeout().toNanos();
        this.rejectAfterTime = timers.rejectAfterTime().toNanos();
        this.persistentKeepaliveNanos = persistentKeepaliveNanos;
        this.random = random;
    }

    public void setPersistentKeepalive(long nanos) {
        this.persistentKeepaliveNanos = nanos;
        if (nanos == 0) {
            cancel(PERSISTENT_KEEPALIVE);
        }
    }

    public long persistentKeepaliveNanos() {
        return persistentKeepaliveNanos;
    }

    public boolean isPending(int timer) {
        return (pending & timer) != 0;
    }

    private void arm(int timer, long at) {
        deadline[Integer.numberOfTrailingZeros(timer)] = at;
        pending |= timer;
    }

    private void cancel(int timer) {
        pending &= ~timer;
    }

    private long jitter() {
        return jitterMax == 0 ? 0 : random.nextLong(jitterMax);
    }

    /** Returns the timers due at {@code nowNanos} (a bit set) and disarms them. */
    public int expire(long nowNanos) {
        int fired = 0;
        for (int i = 0; i < COUNT; i++) {
            int timer = 1 << i;
            if ((pending & timer) != 0 && nowNanos - deadline[i] >= 0) {
                fired |= timer;
            }
        }
        pending &= ~fired;
        return fired;
    }

    /** The earliest armed deadline, or {@code Long.MAX_VALUE} when none is. */
    public long nextDeadline(long nowNanos) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < COUNT; i++) {
            if ((pending & (1 << i)) != 0) {
                best = Math.min(best, Math.max(deadline[i] - nowNanos, 0));
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- hooks (wireguard-go names)

    /** A data packet was sent: expect an authenticated answer within keepalive + rekey timeout. */
    public void onDataSent(long now) {
        if (!isPending(NEW_HANDSHAKE)) {
            arm(NEW_HANDSHAKE, now + keepaliveTimeout + rekeyTimeout + jitter());
        }
    }

    /** A data packet was received: we owe a keepalive unless we send something first. */
    public void onDataReceived(long now) {
        if (!isPending(SEND_KEEPALIVE)) {
            arm(SEND_KEEPALIVE, now + keepaliveTimeout);
        } else {
            needAnotherKeepalive = true;
        }
    }

    public void onAnyAuthenticatedPacketSent() {
        cancel(SEND_KEEPALIVE);
    }

    public void onAnyAuthenticatedPacketReceived() {
        cancel(NEW_HANDSHAKE);
    }

    public void onHandshakeInitiated(long now) {
        arm(RETRANSMIT_HANDSHAKE, now + rekeyTimeout + jitter());
    }

    public void onHandshakeComplete() {
        cancel(RETRANSMIT_HANDSHAKE);
        handshakeAttempts = 0;
    }

    public void onSessionDerived(long now) {
        arm(ZERO_KEY_MATERIAL, now + rejectAfterTime * 3);
    }

    public void onAnyAuthenticatedPacketTraversal(long now) {
        if (persistentKeepaliveNanos > 0) {
            arm(PERSISTENT_KEEPALIVE, now + persistentKeepaliveNanos);
        }
    }

    // ---------------------------------------------------------------- expiry helpers

    /** After SEND_KEEPALIVE fired and a keepalive went out: re-arm if another one is owed. */
    public void afterKeepaliveSent(long now) {
        if (needAnotherKeepalive) {
            needAnotherKeepalive = false;
            arm(SEND_KEEPALIVE, now + keepaliveTimeout);
        }
    }

    /** Counts a retransmission; false once the attempts are exhausted (then stop trying). */
    public boolean countRetransmission(int maxAttempts) {
        if (handshakeAttempts > maxAttempts) {
            return false;
        }
        handshakeAttempts++;
        return true;
    }

    public void resetAttempts() {
        handshakeAttempts = 0;
    }

    public int handshakeAttempts() {
        return handshakeAttempts;
    }

    /** Giving up on handshakes: stop keepalives, and zero the keys later unless already scheduled. */
    public void onGiveUp(long now) {
        cancel(SEND_KEEPALIVE);
        if (!isPending(ZERO_KEY_MATERIAL)) {
            arm(ZERO_KEY_MATERIAL, now + rejectAfterTime * 3);
        }
    }

    public void cancelAll() {
        pending = 0;
        needAnotherKeepalive = false;
        handshakeAttempts = 0;
    }
}
