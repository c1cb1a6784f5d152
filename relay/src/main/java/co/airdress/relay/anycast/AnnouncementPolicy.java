package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Decides, from probe outcomes and the passage of time, whether the VIP should be announced,
 * announced with GRACEFUL_SHUTDOWN, or withdrawn. No I/O and no clock of its own: every input
 * carries {@code nowNanos} (any monotonic origin), so tests drive it with a fake clock.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>rise</b>: the VIP is announced after {@code rise} consecutive {@link ProbeOutcome#UP}.
 *   <li><b>fall</b>: an announced VIP is withdrawn after {@code fall} consecutive failures
 *       ({@link ProbeOutcome#isFailure()}: DOWN, TIMEOUT, REFUSED, BAD_RESPONSE); one UP in
 *       between resets the count.
 *   <li><b>drain</b>: the first {@link ProbeOutcome#DRAINING} while announced re-announces with
 *       GRACEFUL_SHUTDOWN at once; the VIP is withdrawn {@code drainDelay} later, or earlier after
 *       {@code fall} consecutive failures. {@code rise} consecutive UP during the drain cancel it.
 *       A DRAINING relay is never announced.
 *   <li><b>flap back-off</b>: a <i>flap</i> is a withdrawal caused by {@code fall} (drains are
 *       not flaps). Let {@code k} be the number of flaps in the last {@code flapWindow}. Once
 *       {@code rise} is reached, the announcement is held until the healthy streak (measured
 *       from its first UP) has lasted {@code min(backoffBase * 2^(k-2), backoffMax)} when
 *       {@code k >= 2}; the first flap in a window costs nothing extra. Flaps older than the
 *       window are forgotten, so the hold decays after {@code flapWindow} of stability.
 * </ul>
 */
public final class AnnouncementPolicy {

    /** Tunables; validated here so that the policy never runs with nonsense. */
    public record Settings(
            int rise, int fall, Duration drainDelay, Duration backoffBase, Duration backoffMax, Duration flapWindow) {
        public Settings {
            requireNonNull(drainDelay, "drainDelay");
            requireNonNull(backoffBase, "backoffBase");
            requireNonNull(backoffMax, "backoffMax");
            requireNonNull(flapWindow, "flapWindow");
            if (rise < 1) {
                throw new IllegalArgumentException("rise: " + rise + " (expected: >= 1)");
            }
            if (fall < 1) {
                throw new IllegalArgumentException("fall: " + fall + " (expected: >= 1)");
            }
            if (drainDelay.isNegative()) {
                throw new IllegalArgumentException("drainDelay: " + drainDelay + " (expected: >= 0)");
            }
            if (backoffBase.isNegative()) {
                throw new IllegalArgumentException("backoffBase: " + backoffBase + " (expected: >= 0)");
            }
            if (backoffMax.compareTo(backoffBase) < 0) {
                throw new IllegalArgumentException(
                        "backoffMax: " + backoffMax + " (expected: >= backoffBase " + backoffBase + ")");
            }
            if (flapWindow.isNegative()) {
                throw new IllegalArgumentException("flapWindow: " + flapWindow + " (expected: >= 0)");
            }
        }
    }

    /** A change of state, with the action BIRD must now perform (if it changed) and why. */
    record Transition(
            PolicyState from, PolicyState to, @Nullable BirdAction action, String cause) {
        Transition {
            requireNonNull(from, "from");
            requireNonNull(to, "to");
            requireNonNull(cause, "cause");
        }
    }

    private final Settings settings;
    private final ArrayDeque<Long> flapTimes = new ArrayDeque<>();

    private PolicyState state = PolicyState.WITHDRAWN;
    private int consecutiveUp;
    private int consecutiveFailures;
    private long streakStartNanos;
    private long drainDeadlineNanos;

    AnnouncementPolicy(Settings settings) {
        this.settings = requireNonNull(settings, "settings");
    }

    PolicyState state() {
        return state;
    }

    Settings settings() {
        return settings;
    }

    int consecutiveUp() {
        return consecutiveUp;
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Flaps within the window ending at {@code nowNanos}. */
    int recentFlaps(long nowNanos) {
        forgetOldFlaps(nowNanos);
        return flapTimes.size();
    }

    /** The healthy time required before re-announcing, given the flaps in the window. */
    Duration holdDown(long nowNanos) {
        int k = recentFlaps(nowNanos);
        if (k < 2) {
            return Duration.ZERO;
        }
        int doublings = Math.min(k - 2, 30);
        Duration hold = settings.backoffBase().multipliedBy(1L << doublings);
        return hold.compareTo(settings.backoffMax()) > 0 ? settings.backoffMax() : hold;
    }

    /** How long the announcement is still held back ({@link Duration#ZERO} unless {@link PolicyState#HOLDING}). */
    Duration holdRemaining(long nowNanos) {
        if (state != PolicyState.HOLDING) {
            return Duration.ZERO;
        }
        long remaining = holdDown(nowNanos).toNanos() - (nowNanos - streakStartNanos);
        return remaining > 0 ? Duration.ofNanos(remaining) : Duration.ZERO;
    }

    /**
     * Feeds one probe outcome. Returns the transitions it caused, in order (none if the state
     * stays; two when a drain delay ran out just before this probe).
     */
    List<Transition> onProbe(long nowNanos, ProbeOutcome outcome) {
        requireNonNull(outcome, "outcome");
        Transition byTime = onTick(nowNanos);
        Transition byProbe = probe(nowNanos, outcome);
        if (byTime == null) {
            return byProbe == null ? List.of() : List.of(byProbe);
        }
        return byProbe == null ? List.of(byTime) : List.of(byTime, byProbe);
    }

    /** Lets time pass: ends a drain whose delay is over. */
    @Nullable
    Transition onTick(long nowNanos) {
        if (state == PolicyState.DRAINING_ANNOUNCED && nowNanos - drainDeadlineNanos >= 0) {
            return move(PolicyState.DRAINED, "drain delay of " + settings.drainDelay() + " over");
        }
        return null;
    }

    private @Nullable Transition probe(long now, ProbeOutcome outcome) {
        return switch (outcome) {
            case UP -> up(now);
            case DRAINING -> draining(now);
            default -> failure(now, outcome);
        };
    }

    private @Nullable Transition up(long now) {
        consecutiveFailures = 0;
        switch (state) {
            case WITHDRAWN, DRAINED -> {
                consecutiveUp = 1;
                streakStartNanos = now;
                return riseReached(now, "1 healthy probe (rise " + settings.rise() + ")");
            }
            case RISING, HOLDING -> {
                consecutiveUp++;
                return riseReached(now, consecutiveUp + " consecutive healthy probes (rise " + settings.rise() + ")");
            }
            case ANNOUNCED -> {
                consecutiveUp++;
                return null;
            }
            case FALLING -> {
                consecutiveUp = 1;
                return move(PolicyState.ANNOUNCED, "healthy again before fall " + settings.fall() + " was reached");
            }
            case DRAINING_ANNOUNCED -> {
                consecutiveUp++;
                if (consecutiveUp >= settings.rise()) {
                    return move(
                            PolicyState.ANNOUNCED,
                            "drain cancelled: " + consecutiveUp + " consecutive healthy probes (rise " + settings.rise()
                                    + ")");
                }
                return null;
            }
        }
        throw new AssertionError(state);
    }

    private @Nullable Transition riseReached(long now, String cause) {
        if (consecutiveUp < settings.rise()) {
            return state == PolicyState.RISING ? null : move(PolicyState.RISING, cause);
        }
        Duration hold = holdDown(now);
        long healthyFor = now - streakStartNanos;
        if (healthyFor < hold.toNanos()) {
            if (state == PolicyState.HOLDING) {
                return null;
            }
            return move(
                    PolicyState.HOLDING,
                    cause + ", but " + recentFlaps(now) + " flaps in the last " + settings.flapWindow()
                            + ": re-announce held until healthy for " + hold);
        }
        if (state == PolicyState.HOLDING) {
            return move(PolicyState.ANNOUNCED, cause + ", healthy for the back-off hold of " + hold);
        }
        return move(PolicyState.ANNOUNCED, cause);
    }

    private @Nullable Transition draining(long now) {
        consecutiveUp = 0;
        consecutiveFailures = 0;
        switch (state) {
            case ANNOUNCED, FALLING -> {
                drainDeadlineNanos = now + settings.drainDelay().toNanos();
                if (settings.drainDelay().isZero()) {
                    return move(PolicyState.DRAINED, "relay reports DRAINING (drain delay 0: withdraw at once)");
                }
                return move(
                        PolicyState.DRAINING_ANNOUNCED,
                        "relay reports DRAINING: graceful shutdown for " + settings.drainDelay() + ", then withdraw");
            }
            case WITHDRAWN, RISING, HOLDING -> {
                return move(PolicyState.DRAINED, "relay reports DRAINING while not announced");
            }
            case DRAINING_ANNOUNCED, DRAINED -> {
                return null;
            }
        }
        throw new AssertionError(state);
    }

    private @Nullable Transition failure(long now, ProbeOutcome outcome) {
        consecutiveUp = 0;
        consecutiveFailures++;
        String seen = outcome + " (" + consecutiveFailures + " consecutive, fall " + settings.fall() + ")";
        switch (state) {
            case WITHDRAWN -> {
                return null;
            }
            case RISING, HOLDING -> {
                return move(PolicyState.WITHDRAWN, "healthy streak broken by " + seen);
            }
            case DRAINED -> {
                return move(PolicyState.WITHDRAWN, seen + " after the drain");
            }
            case ANNOUNCED, FALLING -> {
                if (consecutiveFailures >= settings.fall()) {
                    flapTimes.addLast(now);
                    return move(PolicyState.WITHDRAWN, seen);
                }
                return state == PolicyState.FALLING ? null : move(PolicyState.FALLING, seen);
            }
            case DRAINING_ANNOUNCED -> {
                if (consecutiveFailures >= settings.fall()) {
                    return move(PolicyState.DRAINED, seen + " while draining: withdraw before the drain delay ends");
                }
                return null;
            }
        }
        throw new AssertionError(state);
    }

    private Transition move(PolicyState to, String cause) {
        PolicyState from = state;
        state = to;
        BirdAction action = from.wanted() == to.wanted() ? null : to.wanted();
        return new Transition(from, to, action, cause);
    }

    private void forgetOldFlaps(long now) {
        long window = settings.flapWindow().toNanos();
        while (!flapTimes.isEmpty() && now - flapTimes.peekFirst() >= window) {
            flapTimes.removeFirst();
        }
    }
}
