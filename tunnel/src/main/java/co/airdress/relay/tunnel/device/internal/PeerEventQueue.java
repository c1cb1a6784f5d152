package co.airdress.relay.tunnel.device.internal;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.PeerEvent;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the engine's {@link PeerEvent}s to subscribers on a thread of their own, so that a slow
 * subscriber never holds up the event loop: the loop offers each event to a bounded queue and
 * goes on; a full queue drops the event and counts it ({@link #drops}). Events are per handshake
 * and per peer ended, never per packet.
 */
public final class PeerEventQueue implements PeerEvent.Listener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerEventQueue.class);

    public static final int CAPACITY = 4096;

    private final ArrayBlockingQueue<PeerEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final List<Consumer<PeerEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicLong drops = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private boolean dropLogged;

    public PeerEventQueue(String threadName) {
        this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::run);
        thread.start();
    }

    /** Adds a subscriber; it is called on the queue's thread, one event at a time, in order. */
    public void subscribe(Consumer<PeerEvent> subscriber) {
        subscribers.add(requireNonNull(subscriber, "subscriber"));
    }

    /** On the event loop: queue the event, or drop and count it when the queue is full. */
    @Override
    public void onPeerEvent(PeerEvent event) {
        if (subscribers.isEmpty() || closed) {
            return;
        }
        if (!queue.offer(event)) {
            drops.incrementAndGet();
            if (!dropLogged) {
                dropLogged = true;
                log.warn("peer events: queue full ({} events), events dropped (a subscriber is slow)", CAPACITY);
            }
        }
    }

    /** Events dropped because the queue was full, since start. */
    public long drops() {
        return drops.get();
    }

    private void run() {
        while (!closed) {
            PeerEvent event;
            try {
                event = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (event == null) {
                continue;
            }
            for (Consumer<PeerEvent> subscriber : subscribers) {
                try {
                    subscriber.accept(event);
                } catch (RuntimeException e) {
                    log.warn("peer events: a subscriber failed on {}", event, e);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
