package co.airdress.relay.access;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.netty.util.internal.PlatformDependent;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The access log's appender: each event's message plus a newline, appended to {@code file}.
 *
 * <p>Why not logback's AsyncAppender: it wakes its worker through a lock and a condition for
 * nearly every line, and the file appender under it writes each line with its own system call: a
 * futex or two and a write per connection, thousands of times a second. Here
 * the event loops put the message on a bounded lock-free queue and never wake anyone; a writer
 * thread wakes every {@code flushMillis}, drains the queue and writes the batch in one call. A
 * line reaches the file at most about {@code flushMillis} late. When the queue is full a line is
 * dropped (and counted) rather than block an event loop; stop writes what is queued.
 */
public final class BatchedFileAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    private String file = "/dev/stdout";
    private int queueSize = 8192;
    private long flushMillis = 100;
    private @Nullable Queue<String> queue;
    private @Nullable Thread writer;
    private @Nullable OutputStream out;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean running;

    public void setFile(String file) {
        this.file = requireNonNull(file, "file");
    }

    public void setQueueSize(int queueSize) {
        if (queueSize < 1) {
            throw new IllegalArgumentException("queueSize: " + queueSize + " (expected: >= 1)");
        }
        this.queueSize = queueSize;
    }

    public void setFlushMillis(long flushMillis) {
        if (flushMillis < 1) {
            throw new IllegalArgumentException("flushMillis: " + flushMillis + " (expected: >= 1)");
        }
        this.flushMillis = flushMillis;
    }

    /** Lines dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        try {
            out = new FileOutputStream(file, true);
        } catch (IOException e) {
            addError("cannot open the access log " + file, e);
            return;
        }
        queue = PlatformDependent.newFixedMpscQueue(queueSize);
        running = true;
        Thread t = new Thread(this::drainLoop, "relay-access-log");
        t.setDaemon(true);
        writer = t;
        super.start();
        t.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        Queue<String> q = queue;
        if (q == null || !q.offer(event.getFormattedMessage())) {
            dropped.incrementAndGet();
        }
    }

    private void drainLoop() {
        ByteArrayOutputStream batch = new ByteArrayOutputStream(64 * 1024);
        long reportedDrops = 0;
        long interval = TimeUnit.MILLISECONDS.toNanos(flushMillis);
        while (running) {
            // Re-park after an early (spurious) return: the batch interval is what bounds wake-ups.
            long deadline = System.nanoTime() + interval;
            for (long left = interval; running && left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
            writeQueued(batch);
            long d = dropped.get();
            if (d != reportedDrops) {
                addWarn("access log queue full: " + (d - reportedDrops) + " line(s) dropped");
                reportedDrops = d;
            }
        }
        writeQueued(batch);
    }

    private void writeQueued(ByteArrayOutputStream batch) {
        Queue<String> q = queue;
        OutputStream o = out;
        if (q == null || o == null) {
            return;
        }
        // Bounded by what is queued now, so a flood cannot keep the writer in one batch forever.
        for (int n = q.size(); n > 0; n--) {
            String line = q.poll();
            if (line == null) {
                break;
            }
            batch.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            batch.write('\n');
        }
        if (batch.size() == 0) {
            return;
        }
        try {
            batch.writeTo(o);
            o.flush();
        } catch (IOException e) {
            addError("cannot write the access log " + file, e);
        } finally {
            batch.reset();
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        running = false;
        Thread t = writer;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        OutputStream o = out;
        if (o != null) {
            try {
                o.close();
            } catch (IOException e) {
                addError("cannot close the access log " + file, e);
            }
        }
        writer = null;
        out = null;
        queue = null;
    }
}
