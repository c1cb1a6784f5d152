package co.airdress.relay.tunnel.device.internal;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.PeerEvent;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Events reach subscribers in order on the queue's thread; a stuck subscriber costs drops, never a wait. */
class PeerEventQueueTest {

    private final WireGuardKey key = WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom()));

    private PeerEvent ended(int n) {
        return new PeerEvent.Ended(key, PeerEvent.Reason.IDLE, Instant.ofEpochSecond(n));
    }

    @Test
    void subscribersGetEveryEventInOrder() throws Exception {
        try (PeerEventQueue queue = new PeerEventQueue("test-events")) {
            List<PeerEvent> got = new CopyOnWriteArrayList<>();
            CountDownLatch all = new CountDownLatch(100);
            queue.subscribe(e -> {
                got.add(e);
                all.countDown();
            });
            for (int i = 0; i < 100; i++) {
                queue.onPeerEvent(ended(i));
            }
            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(got).extracting(PeerEvent::at).isSorted().hasSize(100);
            assertThat(queue.drops()).isZero();
        }
    }

    @Test
    void aStuckSubscriberMakesEventsDropNotTheCallerWait() throws Exception {
        try (PeerEventQueue queue = new PeerEventQueue("test-events")) {
            CountDownLatch taken = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            queue.subscribe(e -> {
                taken.countDown();
                try {
                    release.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            queue.onPeerEvent(ended(0));
            assertThat(taken.await(10, TimeUnit.SECONDS)).isTrue();
            int extra = 10;
            for (int i = 1; i <= PeerEventQueue.CAPACITY + extra; i++) {
                queue.onPeerEvent(ended(i));
            }
            assertThat(queue.drops()).isEqualTo(extra);
            release.countDown();
        }
    }

    @Test
    void withoutSubscribersNothingIsQueued() {
        try (PeerEventQueue queue = new PeerEventQueue("test-events")) {
            for (int i = 0; i < PeerEventQueue.CAPACITY * 2; i++) {
                queue.onPeerEvent(ended(i));
            }
            assertThat(queue.drops()).isZero();
        }
    }
}
