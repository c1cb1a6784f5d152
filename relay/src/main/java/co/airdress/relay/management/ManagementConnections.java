package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management listener's open connections, at most {@code max}. When all are taken, a new
 * connection takes the place of one that is only waiting for a request: first one that never
 * completed a request, else an idle keep-alive one, the one waiting longest either way. A connection
 * whose request is being answered is never closed for another; when every one is, the new
 * connection is closed instead.
 *
 * <p>So connections held open without a request (idle, or fed a request one byte at a time) cannot
 * keep a probe out: the probe's connection is the newest, it sends its request at once, and it is
 * answered before the listener has accepted the {@code max} further connections it would take to
 * make it the oldest. See docs/management.md.
 */
final class ManagementConnections {

    private static final Logger log = LoggerFactory.getLogger(ManagementConnections.class);
    private static final long REPORT_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    private final int max;
    private final Map<Channel, RequestDeadlineHandler> open = new HashMap<>();
    private final Counter evicted;
    private final Counter refused;
    private final Counter timedOut;
    private final Counter tooManyWaiting;

    // Guarded by this: a warning at most every REPORT_EVERY_NANOS, counting the ones not logged.
    private boolean reported;
    private long lastReport;
    private long unreported;

    ManagementConnections(int max, MeterRegistry registry) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
        requireNonNull(registry, "registry");
        this.evicted = dropped(registry, "evicted");
        this.refused = dropped(registry, "refused");
        this.timedOut = dropped(registry, "request_timeout");
        this.tooManyWaiting = dropped(registry, "too_many_waiting");
        Gauge.builder("relay.management.connections", this, ManagementConnections::size)
                .description("Open connections to the management listener")
                .register(registry);
    }

    private static Counter dropped(MeterRegistry registry, String reason) {
        return Counter.builder("relay.management.connections.dropped")
                .description("Management connections closed by the relay, by reason: evicted (the listener was full "
                        + "and it was only waiting for a request), refused (full, every connection being answered), "
                        + "request_timeout (no complete request in time), too_many_waiting (more requests "
                        + "pipelined than may wait for earlier answers, or for the client to read them)")
                .tag("reason", reason)
                .register(registry);
    }

    /** A deadline handler for a new connection that counts its timeouts here. */
    RequestDeadlineHandler deadline(Duration requestTimeout) {
        return new RequestDeadlineHandler(requestTimeout, timedOut::increment);
    }

    /**
     * Admits {@code ch}, closing another connection to make room if needed; false when there is no
     * room (the caller closes {@code ch}).
     */
    boolean admit(Channel ch, RequestDeadlineHandler deadline) {
        requireNonNull(ch, "ch");
        requireNonNull(deadline, "deadline");
        Channel victim = null;
        synchronized (this) {
            if (open.size() >= max) {
                victim = victim();
                if (victim == null) {
                    refused.increment();
                    report("refused a connection from " + ch.remoteAddress() + ": every connection is being answered");
                    return false;
                }
                open.remove(victim);
                evicted.increment();
                report("closed the connection from " + victim.remoteAddress()
                        + ", which was only waiting for a request, to admit one from " + ch.remoteAddress());
            }
            open.put(ch, deadline);
        }
        ch.closeFuture().addListener(f -> remove(ch));
        if (victim != null) {
            victim.close();
        }
        return true;
    }

    /** {@code ch} is being closed: it pipelined more requests than may wait for their turn. */
    void tooManyWaiting(Channel ch) {
        tooManyWaiting.increment();
        synchronized (this) {
            report("closed the connection from " + ch.remoteAddress() + ": more than " + ManagementHandler.MAX_QUEUED
                    + " requests waiting for earlier answers or for the client to read them");
        }
    }

    synchronized int size() {
        return open.size();
    }

    private synchronized void remove(Channel ch) {
        open.remove(ch);
    }

    /** The connection to give way: waiting for a request, never answered before answered, longest waiting first. */
    private @Nullable Channel victim() {
        Channel best = null;
        RequestDeadlineHandler bestState = null;
        for (Map.Entry<Channel, RequestDeadlineHandler> e : open.entrySet()) {
            RequestDeadlineHandler s = e.getValue();
            if (!s.waiting()) {
                continue;
            }
            if (bestState == null || before(s, bestState)) {
                best = e.getKey();
                bestState = s;
            }
        }
        return best;
    }

    private static boolean before(RequestDeadlineHandler a, RequestDeadlineHandler b) {
        if (a.answeredOnce() != b.answeredOnce()) {
            return !a.answeredOnce();
        }
        return a.waitingSince() - b.waitingSince() < 0;
    }

    private void report(String what) {
        long now = System.nanoTime();
        if (reported && now - lastReport < REPORT_EVERY_NANOS) {
            unreported++;
            return;
        }
        log.warn(
                "management listener ({} connections at most): {}{}",
                max,
                what,
                unreported == 0 ? "" : " (and " + unreported + " more since the last report)");
        reported = true;
        lastReport = now;
        unreported = 0;
    }
}
