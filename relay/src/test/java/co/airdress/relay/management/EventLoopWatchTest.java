package co.airdress.relay.management;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventLoopWatchTest {

    private final EventLoopGroup group = new DefaultEventLoopGroup(2);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong clock = new AtomicLong(1_000);

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private double gauge(String loop) {
        return registry.get("relay.event.loop.stall").tag("loop", loop).gauge().value();
    }

    @Test
    void aLoopThatRunsItsTaskShowsNoStallAndABlockedOneShowsHowLongItWaited() throws Exception {
        EventLoopWatch watch = new EventLoopWatch(group, registry, clock::get);
        List<EventExecutor> loops = new ArrayList<>();
        group.iterator().forEachRemaining(loops::add);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        loops.get(1).execute(() -> {
            blocked.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        blocked.await();

        watch.tick();
        // With the clock moved on, a waiting task reads above 0: only one that ran reads 0.
        clock.addAndGet(1_000_000_000L);
        Await.until(Duration.ofSeconds(10), "loop 0 ran its task", () -> gauge("event-loop-0") == 0);
        clock.addAndGet(2_000_000_000L);
        watch.tick(); // loop 1's task still waits: not posted again
        assertThat(gauge("event-loop-0")).isZero();
        assertThat(gauge("event-loop-1")).isEqualTo(3.0);
        assertThat(watch.stalls())
                .containsExactly(
                        new EventLoopWatch.Stall("event-loop-0", 0), new EventLoopWatch.Stall("event-loop-1", 3.0));

        release.countDown();
        Await.until(Duration.ofSeconds(10), "loop 1 ran its task", () -> gauge("event-loop-1") == 0);
        watch.close();
        assertThat(registry.find("relay.event.loop.stall").gauges()).isEmpty();
    }

    @Test
    void aShutDownLoopShowsAsStalled() {
        EventLoopWatch watch = new EventLoopWatch(group, registry, clock::get);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        watch.tick();
        clock.addAndGet(5_000_000_000L);
        assertThat(gauge("event-loop-0")).isEqualTo(5.0);
        assertThat(gauge("event-loop-1")).isEqualTo(5.0);
    }
}
