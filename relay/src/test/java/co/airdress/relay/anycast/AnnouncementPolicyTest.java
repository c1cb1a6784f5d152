package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.anycast.AnnouncementPolicy.Settings;
import co.airdress.relay.anycast.AnnouncementPolicy.Transition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AnnouncementPolicyTest {

    private static final Duration INTERVAL = Duration.ofMillis(500);

    private long now = 1_000_000_000L;

    private static Settings settings(int rise, int fall) {
        return new Settings(
                rise,
                fall,
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofSeconds(300),
                Duration.ofMinutes(15));
    }

    /** Advances the fake clock by one interval and feeds the outcome; returns the last transition. */
    private @Nullable Transition probe(AnnouncementPolicy policy, ProbeOutcome outcome) {
        now += INTERVAL.toNanos();
        List<Transition> ts = policy.onProbe(now, outcome);
        return ts.isEmpty() ? null : ts.getLast();
    }

    private void probeTimes(AnnouncementPolicy policy, ProbeOutcome outcome, int times) {
        for (int i = 0; i < times; i++) {
            probe(policy, outcome);
        }
    }

    private void announce(AnnouncementPolicy policy) {
        probeTimes(policy, ProbeOutcome.UP, policy.settings().rise());
        assertThat(policy.state()).isEqualTo(PolicyState.ANNOUNCED);
    }

    @Test
    void startsWithdrawnAndAnnouncesOnlyOnTheRiseThHealthyProbe() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(5, 3));
        assertThat(policy.state()).isEqualTo(PolicyState.WITHDRAWN);
        Transition first = probe(policy, ProbeOutcome.UP);
        assertThat(first).isNotNull();
        assertThat(first.to()).isEqualTo(PolicyState.RISING);
        assertThat(first.action()).isNull();
        for (int i = 2; i <= 4; i++) {
            assertThat(probe(policy, ProbeOutcome.UP)).isNull();
            assertThat(policy.state().wanted()).isEqualTo(BirdAction.WITHDRAW);
        }
        Transition fifth = probe(policy, ProbeOutcome.UP);
        assertThat(fifth).isNotNull();
        assertThat(fifth.from()).isEqualTo(PolicyState.RISING);
        assertThat(fifth.to()).isEqualTo(PolicyState.ANNOUNCED);
        assertThat(fifth.action()).isEqualTo(BirdAction.ANNOUNCE);
        assertThat(fifth.cause()).contains("5 consecutive healthy probes");
        assertThat(probe(policy, ProbeOutcome.UP)).isNull();
    }

    @ParameterizedTest
    @EnumSource(
            value = ProbeOutcome.class,
            names = {"DOWN", "TIMEOUT", "REFUSED", "BAD_RESPONSE"})
    void aFailureWhileRisingRestartsTheCount(ProbeOutcome failure) {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(3, 3));
        probeTimes(policy, ProbeOutcome.UP, 2);
        Transition broken = probe(policy, failure);
        assertThat(broken).isNotNull();
        assertThat(broken.to()).isEqualTo(PolicyState.WITHDRAWN);
        assertThat(broken.action()).isNull();
        assertThat(broken.cause()).contains(failure.name());
        probeTimes(policy, ProbeOutcome.UP, 2);
        assertThat(policy.state()).isEqualTo(PolicyState.RISING);
        probe(policy, ProbeOutcome.UP);
        assertThat(policy.state()).isEqualTo(PolicyState.ANNOUNCED);
    }

    @ParameterizedTest
    @EnumSource(
            value = ProbeOutcome.class,
            names = {"DOWN", "TIMEOUT", "REFUSED", "BAD_RESPONSE"})
    void withdrawsAfterFallConsecutiveFailures(ProbeOutcome failure) {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        announce(policy);
        Transition first = probe(policy, failure);
        assertThat(first).isNotNull();
        assertThat(first.to()).isEqualTo(PolicyState.FALLING);
        assertThat(first.action()).isNull();
        assertThat(probe(policy, failure)).isNull();
        Transition third = probe(policy, failure);
        assertThat(third).isNotNull();
        assertThat(third.to()).isEqualTo(PolicyState.WITHDRAWN);
        assertThat(third.action()).isEqualTo(BirdAction.WITHDRAW);
        assertThat(third.cause()).contains(failure.name()).contains("3 consecutive");
    }

    @Test
    void mixedFailuresCountTogetherAndOneHealthyProbeResetsTheFall() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        announce(policy);
        probe(policy, ProbeOutcome.TIMEOUT);
        probe(policy, ProbeOutcome.REFUSED);
        Transition back = probe(policy, ProbeOutcome.UP);
        assertThat(back).isNotNull();
        assertThat(back.to()).isEqualTo(PolicyState.ANNOUNCED);
        assertThat(back.action()).isNull();
        probe(policy, ProbeOutcome.DOWN);
        probe(policy, ProbeOutcome.BAD_RESPONSE);
        assertThat(policy.state()).isEqualTo(PolicyState.FALLING);
        Transition gone = probe(policy, ProbeOutcome.TIMEOUT);
        assertThat(gone).isNotNull();
        assertThat(gone.action()).isEqualTo(BirdAction.WITHDRAW);
    }

    @Test
    void riseAndFallOfOneActOnTheFirstProbe() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(1, 1));
        Transition up = probe(policy, ProbeOutcome.UP);
        assertThat(up).isNotNull();
        assertThat(up.from()).isEqualTo(PolicyState.WITHDRAWN);
        assertThat(up.action()).isEqualTo(BirdAction.ANNOUNCE);
        Transition down = probe(policy, ProbeOutcome.DOWN);
        assertThat(down).isNotNull();
        assertThat(down.from()).isEqualTo(PolicyState.ANNOUNCED);
        assertThat(down.action()).isEqualTo(BirdAction.WITHDRAW);
    }

    @Test
    void drainingReannouncesGracefullyAtFirstSightingThenWithdrawsAfterTheDelay() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        announce(policy);
        Transition drain = probe(policy, ProbeOutcome.DRAINING);
        assertThat(drain).isNotNull();
        assertThat(drain.to()).isEqualTo(PolicyState.DRAINING_ANNOUNCED);
        assertThat(drain.action()).isEqualTo(BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN);
        long drainStart = now;
        // 10 s drain at 0.5 s probes: 19 more DRAINING probes do nothing.
        for (int i = 0; i < 19; i++) {
            assertThat(probe(policy, ProbeOutcome.DRAINING)).isNull();
        }
        assertThat(policy.onTick(drainStart + Duration.ofSeconds(10).toNanos() - 1))
                .isNull();
        Transition end = policy.onTick(drainStart + Duration.ofSeconds(10).toNanos());
        assertThat(end).isNotNull();
        assertThat(end.to()).isEqualTo(PolicyState.DRAINED);
        assertThat(end.action()).isEqualTo(BirdAction.WITHDRAW);
        assertThat(policy.recentFlaps(now)).as("a drain is not a flap").isZero();
        assertThat(probe(policy, ProbeOutcome.DRAINING)).isNull();
    }

    @Test
    void drainingWhileFallingStillDrains() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        announce(policy);
        probe(policy, ProbeOutcome.TIMEOUT);
        Transition drain = probe(policy, ProbeOutcome.DRAINING);
        assertThat(drain).isNotNull();
        assertThat(drain.from()).isEqualTo(PolicyState.FALLING);
        assertThat(drain.action()).isEqualTo(BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN);
    }

    @Test
    void aDrainDeadlinePassedBeforeAProbeYieldsBothTransitionsInOrder() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        announce(policy);
        probe(policy, ProbeOutcome.DRAINING);
        now += Duration.ofSeconds(11).toNanos();
        List<Transition> ts = policy.onProbe(now, ProbeOutcome.UP);
        assertThat(ts).extracting(Transition::to).containsExactly(PolicyState.DRAINED, PolicyState.RISING);
        assertThat(ts.getFirst().action()).isEqualTo(BirdAction.WITHDRAW);
        assertThat(ts.getLast().action()).isNull();
    }

    @Test
    void failuresDuringADrainWithdrawEarlyWithoutCountingAFlap() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        announce(policy);
        probe(policy, ProbeOutcome.DRAINING);
        assertThat(probe(policy, ProbeOutcome.REFUSED)).isNull();
        assertThat(probe(policy, ProbeOutcome.REFUSED)).isNull();
        Transition early = probe(policy, ProbeOutcome.REFUSED);
        assertThat(early).isNotNull();
        assertThat(early.to()).isEqualTo(PolicyState.DRAINED);
        assertThat(early.action()).isEqualTo(BirdAction.WITHDRAW);
        assertThat(policy.recentFlaps(now)).isZero();
        Transition after = probe(policy, ProbeOutcome.REFUSED);
        assertThat(after).isNotNull();
        assertThat(after.to()).isEqualTo(PolicyState.WITHDRAWN);
        assertThat(after.action()).isNull();
    }

    @Test
    void riseHealthyProbesCancelADrain() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(3, 3));
        announce(policy);
        probe(policy, ProbeOutcome.DRAINING);
        assertThat(probe(policy, ProbeOutcome.UP)).isNull();
        assertThat(probe(policy, ProbeOutcome.UP)).isNull();
        Transition back = probe(policy, ProbeOutcome.UP);
        assertThat(back).isNotNull();
        assertThat(back.to()).isEqualTo(PolicyState.ANNOUNCED);
        assertThat(back.action()).isEqualTo(BirdAction.ANNOUNCE);
        assertThat(back.cause()).contains("drain cancelled");
    }

    @Test
    void aZeroDrainDelayWithdrawsAtOnce() {
        AnnouncementPolicy policy = new AnnouncementPolicy(
                new Settings(1, 1, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(1)));
        announce(policy);
        Transition drain = probe(policy, ProbeOutcome.DRAINING);
        assertThat(drain).isNotNull();
        assertThat(drain.to()).isEqualTo(PolicyState.DRAINED);
        assertThat(drain.action()).isEqualTo(BirdAction.WITHDRAW);
    }

    @Test
    void aDrainingRelayIsNeverAnnounced() {
        AnnouncementPolicy policy = new AnnouncementPolicy(settings(2, 3));
        Transition t = probe(policy, ProbeOutcome.DRAINING);
        assertThat(t).isNotNull();
        assertThat(t.to()).isEqualTo(PolicyState.DRAINED);
        assertThat(t.action()).isNull();
        probe(policy, ProbeOutcome.UP);
        Transition drainAgain = probe(policy, ProbeOutcome.DRAINING);
        assertThat(drainAgain).isNotNull();
        assertThat(drainAgain.from()).isEqualTo(PolicyState.RISING);
        assertThat(drainAgain.to()).isEqualTo(PolicyState.DRAINED);
        probeTimes(policy, ProbeOutcome.UP, 2);
        assertThat(policy.state()).as("UP after a drain rises normally").isEqualTo(PolicyState.ANNOUNCED);
    }

    /** Withdraws by failure once (a flap) and returns to WITHDRAWN. */
    private void flap(AnnouncementPolicy policy) {
        announceAllowingHold(policy);
        probeTimes(policy, ProbeOutcome.DOWN, policy.settings().fall());
        assertThat(policy.state()).isEqualTo(PolicyState.WITHDRAWN);
    }

    private void announceAllowingHold(AnnouncementPolicy policy) {
        while (policy.state() != PolicyState.ANNOUNCED) {
            probe(policy, ProbeOutcome.UP);
        }
    }

    /** Healthy time from the first UP of a streak to the announcement, in whole probe intervals. */
    private Duration timeToAnnounce(AnnouncementPolicy policy) {
        long start = now + INTERVAL.toNanos();
        announceAllowingHold(policy);
        return Duration.ofNanos(now - start);
    }

    @Test
    void repeatedFlapsDoubleTheHoldUpToTheCap() {
        AnnouncementPolicy policy = new AnnouncementPolicy(new Settings(
                2, 1, Duration.ofSeconds(10), Duration.ofSeconds(4), Duration.ofSeconds(16), Duration.ofMinutes(15)));
        assertThat(timeToAnnounce(policy)).isEqualTo(Duration.ofMillis(500));
        probe(policy, ProbeOutcome.DOWN);
        assertThat(policy.recentFlaps(now)).isEqualTo(1);
        assertThat(timeToAnnounce(policy)).as("first flap is free").isEqualTo(Duration.ofMillis(500));
        probe(policy, ProbeOutcome.DOWN);
        assertThat(policy.holdDown(now)).isEqualTo(Duration.ofSeconds(4));
        assertThat(timeToAnnounce(policy)).isEqualTo(Duration.ofSeconds(4));
        probe(policy, ProbeOutcome.DOWN);
        assertThat(timeToAnnounce(policy)).isEqualTo(Duration.ofSeconds(8));
        probe(policy, ProbeOutcome.DOWN);
        assertThat(timeToAnnounce(policy)).isEqualTo(Duration.ofSeconds(16));
        probe(policy, ProbeOutcome.DOWN);
        assertThat(policy.holdDown(now)).as("capped").isEqualTo(Duration.ofSeconds(16));
        assertThat(timeToAnnounce(policy)).isEqualTo(Duration.ofSeconds(16));
    }

    @Test
    void holdingIsEnteredOnceAndShowsTheRemainingTime() {
        AnnouncementPolicy policy = new AnnouncementPolicy(new Settings(
                2, 1, Duration.ofSeconds(10), Duration.ofSeconds(4), Duration.ofSeconds(16), Duration.ofMinutes(15)));
        flap(policy);
        flap(policy);
        probe(policy, ProbeOutcome.UP);
        Transition hold = probe(policy, ProbeOutcome.UP);
        assertThat(hold).isNotNull();
        assertThat(hold.to()).isEqualTo(PolicyState.HOLDING);
        assertThat(hold.action()).isNull();
        assertThat(hold.cause()).contains("2 flaps").contains("PT4S");
        assertThat(policy.holdRemaining(now)).isEqualTo(Duration.ofMillis(3500));
        assertThat(probe(policy, ProbeOutcome.UP)).isNull();
        Transition broken = probe(policy, ProbeOutcome.TIMEOUT);
        assertThat(broken).isNotNull();
        assertThat(broken.from()).isEqualTo(PolicyState.HOLDING);
        assertThat(broken.to()).isEqualTo(PolicyState.WITHDRAWN);
        assertThat(policy.holdRemaining(now)).isZero();
    }

    @Test
    void flapsAreForgottenAfterTheWindow() {
        AnnouncementPolicy policy = new AnnouncementPolicy(new Settings(
                2, 1, Duration.ofSeconds(10), Duration.ofSeconds(4), Duration.ofSeconds(16), Duration.ofMinutes(1)));
        flap(policy);
        flap(policy);
        flap(policy);
        assertThat(policy.recentFlaps(now)).isEqualTo(3);
        now += Duration.ofMinutes(1).toNanos();
        assertThat(policy.recentFlaps(now)).isZero();
        assertThat(timeToAnnounce(policy)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void settingsAreValidatedWithTheExpectedRange() {
        Duration s = Duration.ofSeconds(1);
        assertThatThrownBy(() -> new Settings(0, 3, s, s, s, s)).hasMessage("rise: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new Settings(1, 0, s, s, s, s)).hasMessage("fall: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new Settings(1, 1, s.negated(), s, s, s)).hasMessageStartingWith("drainDelay: ");
        assertThatThrownBy(() -> new Settings(1, 1, s, s, Duration.ZERO, s)).hasMessageStartingWith("backoffMax: ");
    }

    /**
     * Random walks over every outcome and time step, checking the invariants that matter to BIRD:
     * an action is emitted exactly when the wanted BIRD state changes; the VIP goes from withdrawn
     * to announced only after at least {@code rise} consecutive UP; a normal announcement goes away
     * only after {@code fall} consecutive failures or a DRAINING sighting.
     */
    @Test
    void randomWalksKeepTheInvariants() {
        ProbeOutcome[] outcomes = ProbeOutcome.values();
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            int rise = 1 + random.nextInt(5);
            int fall = 1 + random.nextInt(4);
            AnnouncementPolicy policy = new AnnouncementPolicy(new Settings(
                    rise,
                    fall,
                    Duration.ofMillis(random.nextInt(3000)),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(8),
                    Duration.ofSeconds(30)));
            BirdAction inBird = BirdAction.WITHDRAW;
            List<ProbeOutcome> history = new ArrayList<>();
            for (int step = 0; step < 2000; step++) {
                // Mostly one of two outcomes at a time, so that streaks long enough to rise happen.
                ProbeOutcome outcome = random.nextInt(4) == 0
                        ? outcomes[random.nextInt(outcomes.length)]
                        : (random.nextBoolean()
                                ? ProbeOutcome.UP
                                : history.isEmpty() ? ProbeOutcome.DOWN : history.getLast());
                now += INTERVAL.toNanos() / (1 + random.nextInt(3));
                history.add(outcome);
                for (Transition t : policy.onProbe(now, outcome)) {
                    assertThat(t.from()).isNotEqualTo(t.to());
                    assertThat(t.action() != null).isEqualTo(t.from().wanted() != t.to().wanted());
                    assertThat(t.cause()).isNotBlank();
                    if (t.action() == null) {
                        continue;
                    }
                    if (inBird == BirdAction.WITHDRAW) {
                        assertThat(t.action()).isEqualTo(BirdAction.ANNOUNCE);
                        assertThat(history.subList(history.size() - rise, history.size()))
                                .as("seed %d step %d", seed, step)
                                .containsOnly(ProbeOutcome.UP);
                    }
                    if (inBird == BirdAction.ANNOUNCE
                            && t.action() == BirdAction.WITHDRAW
                            && outcome != ProbeOutcome.DRAINING) {
                        assertThat(history.subList(Math.max(0, history.size() - fall), history.size()))
                                .as("seed %d step %d", seed, step)
                                .allMatch(ProbeOutcome::isFailure);
                    }
                    inBird = t.action();
                }
                assertThat(inBird).isEqualTo(policy.state().wanted());
            }
        }
    }
}
