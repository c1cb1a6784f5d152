package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Watches the data plane's event loops between /livez requests, for Prometheus: on every
 * {@link #tick} each loop that ran the previous task is posted a new no-op task, and
 * {@code relay_event_loop_stall_seconds{loop="event-loop-N"}} is how long the loop's task has been
 * waiting (0 once it ran). A loop stuck in a blocking call or a busy loop climbs past /livez's
 * 2 s; the names are those /livez lists as {@code stuck}. One task per loop per tick, nothing on the
 * data path.
 */
final class EventLoopWatch implements AutoCloseable {

    /** The loop has run its task; nothing is waiting. */
    private static final long IDLE = Long.MIN_VALUE;

    /** A loop's name and how long its task has waited, in seconds. */
    record Stall(String loop, double seconds) {}

    private final List<EventExecutor> loops = new ArrayList<>();
    private final AtomicLongArray postedAt;
    private final LongSupplier nanoTime;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    EventLoopWatch(EventLoopGroup group, MeterRegistry registry) {
        this(group, registry, System::nanoTime);
    }

    EventLoopWatch(EventLoopGroup group, MeterRegistry registry, LongSupplier nanoTime) {
        requireNonNull(group, "group").iterator().forEachRemaining(loops::add);
        this.registry = requireNonNull(registry, "registry");
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
        this.postedAt = new AtomicLongArray(loops.size());
        for (int i = 0; i < loops.size(); i++) {
            postedAt.set(i, IDLE);
            int index = i;
            meters.add(Gauge.builder("relay.event.loop.stall", this, w -> w.stallSeconds(index))
                    .baseUnit("seconds")
                    .description("How long the event loop has not run the watch's task (0 once it ran; /livez fails"
                            + " past 2 s)")
                    .tag("loop", name(i))
                    .register(registry));
        }
    }

    /** The name /livez uses for the loop at {@code index}. */
    static String name(int index) {
        return "event-loop-" + index;
    }

    /** Posts a task to every loop that ran its previous one. */
    void tick() {
        for (int i = 0; i < loops.size(); i++) {
            if (postedAt.get(i) != IDLE) {
                continue; // still waiting: its stall keeps growing
            }
            postedAt.set(i, nanoTime.getAsLong());
            int index = i;
            try {
                loops.get(i).execute(() -> postedAt.set(index, IDLE));
            } catch (RejectedExecutionException e) {
                // Shut down: the task stays unrun and the loop shows as stalled.
            }
        }
    }

    double stallSeconds(int index) {
        long posted = postedAt.get(index);
        return posted == IDLE ? 0 : (nanoTime.getAsLong() - posted) / 1e9;
    }

    /** Every loop with its current stall, in /livez's order. */
    List<Stall> stalls() {
        List<Stall> out = new ArrayList<>(loops.size());
        for (int i = 0; i < loops.size(); i++) {
            out.add(new Stall(name(i), stallSeconds(i)));
        }
        return out;
    }

    /** Removes the gauges. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
