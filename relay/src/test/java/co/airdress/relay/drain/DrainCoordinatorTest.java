package co.airdress.relay.drain;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DrainCoordinatorTest {

    /** Records the order in which the coordinator acts on it, and how often it polls the count. */
    static final class RecordingTarget implements DrainCoordinator.Target {
        final List<String> events = new CopyOnWriteArrayList<>();
        final AtomicInteger active;
        final AtomicInteger polls = new AtomicInteger();

        RecordingTarget(int active) {
            this.active = new AtomicInteger(active);
        }

        @Override
        public void stopAccepting() {
            events.add("stopAccepting");
        }

        @Override
        public int activeConnections() {
            polls.incrementAndGet();
            return active.get();
        }

        @Override
        public void closeAll() {
            events.add("closeAll");
            active.set(0);
        }

        /** Connections that cannot finish here: {@link #closeStranded} closes them. */
        final AtomicInteger stranded = new AtomicInteger();

        @Override
        public void closeStranded() {
            int n = stranded.getAndSet(0);
            if (n > 0) {
                events.add("closeStranded " + n);
                active.addAndGet(-n);
            }
        }
    }

    @Test
    void readinessTurnsDrainingAtOnceThenStopsAcceptingAfterTheDelayThenCompletesWhenConnectionsEnd() throws Exception {
        HealthState health = new HealthState("ams1");
        RecordingTarget target = new RecordingTarget(2);
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ofMillis(300), Duration.ofSeconds(30)), health, target);

        drain.start("test");

        // Synchronously: the controller's next probe must already see DRAINING.
        assertThat(health.isDraining()).isTrue();
        assertThat(health.drainStartedAt()).isNotNull();
        assertThat(target.events).doesNotContain("stopAccepting");

        Await.until(
                Duration.ofSeconds(5), "stopAccepting after the delay", () -> target.events.contains("stopAccepting"));
        assertThat(drain.done()).isNotDone();

        target.active.set(1);
        // Still one connection: stays pending across several polls (counted, not slept through).
        int polled = target.polls.get();
        Await.until(Duration.ofSeconds(5), "three more polls", () -> target.polls.get() >= polled + 3);
        assertThat(drain.done()).isNotDone();

        target.active.set(0);
        drain.done().get(5, TimeUnit.SECONDS);
        assertThat(target.events).containsExactly("stopAccepting");
    }

    @Test
    void atTheTimeoutRemainingConnectionsAreClosed() throws Exception {
        HealthState health = new HealthState("ams1");
        RecordingTarget target = new RecordingTarget(5);
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ofMillis(50), Duration.ofMillis(400)), health, target);

        drain.start("test");
        drain.done().get(10, TimeUnit.SECONDS);

        assertThat(target.events).containsExactly("stopAccepting", "closeAll");
        assertThat(target.active).hasValue(0);
    }

    @Test
    void startIsIdempotentAndKeepsTheFirstStartTime() throws Exception {
        HealthState health = new HealthState("ams1");
        RecordingTarget target = new RecordingTarget(0);
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ofMillis(10), Duration.ofSeconds(5)), health, target);

        drain.start("first");
        var since = health.drainStartedAt();
        drain.start("second");
        drain.done().get(5, TimeUnit.SECONDS);
        drain.start("third, after completion");

        assertThat(health.drainStartedAt()).isEqualTo(since);
        assertThat(target.events).containsExactly("stopAccepting");
        assertThat(drain.isStarted()).isTrue();
    }

    @Test
    void noConnectionsCompletesRightAfterTheListenersStop() throws Exception {
        HealthState health = new HealthState("ams1");
        RecordingTarget target = new RecordingTarget(0);
        DrainCoordinator drain =
                new DrainCoordinator(new RelayConfig.Drain(Duration.ZERO, Duration.ofSeconds(30)), health, target);

        drain.start("test");
        drain.done().get(5, TimeUnit.SECONDS);

        assertThat(target.events).containsExactly("stopAccepting");
    }

    /**
     * The backhaul's connections count too: the drain waits for them, closes them at the timeout,
     * and never stops their listener (only the relay's).
     */
    @Test
    void connectionsAddedToTheTargetAreWaitedForAndClosedButKeepAccepting() throws Exception {
        HealthState health = new HealthState("ams1");
        RecordingTarget relay = new RecordingTarget(0);
        RecordingTarget backhaul = new RecordingTarget(3);
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ZERO, Duration.ofMillis(400)),
                health,
                DrainCoordinator.Target.with(relay, backhaul));

        drain.start("test");
        drain.done().get(10, TimeUnit.SECONDS);

        assertThat(relay.events).containsExactly("stopAccepting", "closeAll");
        assertThat(backhaul.events).containsExactly("closeAll");
        assertThat(backhaul.polls).hasPositiveValue();
        assertThat(backhaul.active).hasValue(0);
    }

    /**
     * Connections that can no longer finish at this PoP (through its tunnel to an operator attached
     * elsewhere since) are closed while the drain runs, of both targets, not at its timeout; the
     * drain then ends with the others.
     */
    @Test
    void strandedConnectionsAreClosedWithoutWaitingForTheTimeout() throws Exception {
        HealthState health = new HealthState("ams1");
        RecordingTarget relay = new RecordingTarget(3);
        RecordingTarget backhaul = new RecordingTarget(2);
        relay.stranded.set(2);
        backhaul.stranded.set(2);
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ZERO, Duration.ofMinutes(5)),
                health,
                DrainCoordinator.Target.with(relay, backhaul));

        drain.start("test");
        Await.until(Duration.ofSeconds(10), "the stranded connections closed", () -> relay.active.get() == 1);
        assertThat(drain.done()).isNotDone();
        relay.active.set(0); // the last one ends by itself

        drain.done().get(10, TimeUnit.SECONDS);
        assertThat(relay.events).containsExactly("stopAccepting", "closeStranded 2");
        assertThat(backhaul.events).containsExactly("closeStranded 2");
    }
}
