package co.airdress.relay.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeakGuardTest {

    /** A tracked resource dropped without close() must come back from collect() as a leak. */
    @Test
    void reportsAResourceThatWasNeverReleased() {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetector<Leaky> detector =
                ResourceLeakDetectorFactory.instance().newResourceLeakDetector(Leaky.class);
        leakOne(detector);

        List<String> leaks = LeakGuard.collect();

        assertThat(leaks).anySatisfy(leak -> assertThat(leak).contains("Leaky"));
    }

    @Test
    void aReleasedResourceIsNotALeak() {
        ResourceLeakDetector<Released> detector =
                ResourceLeakDetectorFactory.instance().newResourceLeakDetector(Released.class);
        Released r = new Released();
        ResourceLeakTracker<Released> tracker = detector.track(r);
        assertThat(tracker).isNotNull();
        tracker.close(r);

        assertThat(LeakGuard.collect()).noneSatisfy(leak -> assertThat(leak).contains("Released"));
    }

    private static void leakOne(ResourceLeakDetector<Leaky> detector) {
        Leaky leaky = new Leaky();
        ResourceLeakTracker<Leaky> tracker = detector.track(leaky);
        assertThat(tracker).isNotNull();
        tracker.record();
        // dropped without tracker.close(leaky)
    }

    static final class Leaky {}

    static final class Released {}
}
