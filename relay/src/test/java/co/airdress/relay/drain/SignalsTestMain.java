package co.airdress.relay.drain;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.health.HealthState;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny daemon for {@link SignalsTest}: installs the real signal handlers on a drain whose one
 * "connection" ends when the listeners stop ({@code finish}) or never ({@code hang}), and exits 0
 * when the drain completes. Every step is printed so the test can check the order.
 */
public final class SignalsTestMain {

    private SignalsTestMain() {}

    public static void main(String[] args) throws Exception {
        boolean finish = args.length > 0 && args[0].equals("finish");
        AtomicInteger active = new AtomicInteger(1);
        HealthState health = new HealthState("test");
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ofMillis(100), Duration.ofMinutes(5)),
                health,
                new DrainCoordinator.Target() {
                    @Override
                    public void stopAccepting() {
                        System.out.println("STOP_ACCEPTING");
                        if (finish) {
                            active.set(0);
                        }
                    }

                    @Override
                    public int activeConnections() {
                        return active.get();
                    }

                    @Override
                    public void closeAll() {
                        System.out.println("CLOSE_ALL");
                        active.set(0);
                    }
                });
        Signals.install(drain);
        drain.done().thenRun(() -> System.out.println("DRAINED"));
        System.out.println("READY");
        System.out.flush();
        // Wait until readiness shows the drain, then report it, then wait for the end.
        while (!health.isDraining()) {
            Thread.sleep(5);
        }
        System.out.println("DRAINING");
        System.out.flush();
        drain.done().join();
        System.out.flush();
        System.exit(0);
    }
}
