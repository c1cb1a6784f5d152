package co.airdress.relay.health;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The last {@link #CAPACITY} errors a person looking at the PoP should see (the status page shows
 * them): a rejected operators file, a directory record rejected. Each is also logged and counted
 * where it happens; this ring only keeps them for display. Bounded in entries and in the length of
 * each message; never on a hot path (one lock).
 */
public final class RecentEvents {

    /** Entries kept; older ones are dropped. */
    public static final int CAPACITY = 20;

    /** Characters kept of a message; the rest is cut and marked. */
    public static final int MAX_MESSAGE = 2000;

    /** Where an event comes from. */
    public enum Source {
        /** The operators file was rejected (invalid, unreadable, no longer watched). */
        OPERATORS_FILE("operators file"),
        /** The operator directory rejected a record, or lost its log. */
        DIRECTORY("directory");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        /** How the status page names it. */
        public String label() {
            return label;
        }
    }

    /** One event: when, from where, and its message (cut to {@link #MAX_MESSAGE}). */
    public record Event(Instant at, Source source, String message) {
        public Event {
            requireNonNull(at, "at");
            requireNonNull(source, "source");
            requireNonNull(message, "message");
        }
    }

    private final Clock clock;
    private final ArrayDeque<Event> ring = new ArrayDeque<>(CAPACITY);
    private long total;

    public RecentEvents() {
        this(Clock.systemUTC());
    }

    public RecentEvents(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
    }

    /** Records an event now; the oldest goes when {@link #CAPACITY} are kept. */
    public void add(Source source, String message) {
        requireNonNull(source, "source");
        requireNonNull(message, "message");
        String kept = message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + " [...]";
        Event e = new Event(clock.instant(), source, kept);
        synchronized (ring) {
            if (ring.size() == CAPACITY) {
                ring.removeFirst();
            }
            ring.addLast(e);
            total++;
        }
    }

    /** The events kept, newest first. */
    public List<Event> newestFirst() {
        synchronized (ring) {
            List<Event> out = new ArrayList<>(ring.size());
            for (Iterator<Event> it = ring.descendingIterator(); it.hasNext(); ) {
                out.add(it.next());
            }
            return out;
        }
    }

    /** Events recorded since start, including those no longer kept. */
    public long total() {
        synchronized (ring) {
            return total;
        }
    }
}
