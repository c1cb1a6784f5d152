package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;

/**
 * Per-second rates of two counters per listener (accepted and refused connections) over the last
 * {@link #WINDOW} samples, for the status page. Sans-IO: the caller samples the counters with the
 * time; the rate is the newest sample minus the oldest over the time between them.
 */
final class ConnectionRates {

    /** Samples kept: with one per second, the rates cover the last 10 s. */
    static final int WINDOW = 11;

    private record Sample(long nanos, long[] accepted, long[] refused) {}

    private final int listeners;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>(WINDOW);

    ConnectionRates(int listeners) {
        this.listeners = listeners;
    }

    /** Adds a sample: the counters of each listener (by index) at {@code nanos}. */
    synchronized void sample(long nanos, long[] accepted, long[] refused) {
        requireNonNull(accepted, "accepted");
        requireNonNull(refused, "refused");
        if (accepted.length != listeners || refused.length != listeners) {
            throw new IllegalArgumentException(
                    "counters: " + accepted.length + "/" + refused.length + " (expected: " + listeners + " each)");
        }
        if (samples.size() == WINDOW) {
            samples.removeFirst();
        }
        samples.addLast(new Sample(nanos, accepted.clone(), refused.clone()));
    }

    synchronized double acceptedPerSecond(int listener) {
        return rate(listener, true);
    }

    synchronized double refusedPerSecond(int listener) {
        return rate(listener, false);
    }

    private double rate(int listener, boolean accepted) {
        if (samples.size() < 2) {
            return 0;
        }
        Sample first = samples.peekFirst();
        Sample last = samples.peekLast();
        long nanos = last.nanos() - first.nanos();
        if (nanos <= 0) {
            return 0;
        }
        long delta = accepted
                ? last.accepted()[listener] - first.accepted()[listener]
                : last.refused()[listener] - first.refused()[listener];
        return Math.max(0, delta) / (nanos / 1e9);
    }
}
