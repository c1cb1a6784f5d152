package co.airdress.relay.drain;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Two-stage termination: the first SIGTERM or SIGINT starts a drain, the second halts the JVM at
 * once with {@link #FORCED_EXIT}.
 *
 * <p>Why {@code sun.misc.Signal} (module {@code jdk.unsupported}) and not a shutdown hook: once a
 * hook runs the JVM is already exiting and cannot be asked to exit "harder" by a second signal,
 * and a hook cannot keep serving while it waits. Installing a handler replaces the JVM's default
 * action for that signal, so shutdown hooks no longer run on SIGTERM; the daemon exits itself (with
 * {@code System.exit(0)}) when the drain completes. The second signal uses {@link Runtime#halt}
 * because {@code System.exit} would run shutdown hooks that might be what hangs.
 */
public final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    /** Exit status after a second signal. */
    public static final int FORCED_EXIT = 1;

    private Signals() {}

    /** Installs the handlers for TERM and INT. */
    public static void install(DrainCoordinator drain) {
        install(drain, () -> Runtime.getRuntime().halt(FORCED_EXIT));
    }

    static void install(DrainCoordinator drain, Runnable forcedExit) {
        requireNonNull(drain, "drain");
        requireNonNull(forcedExit, "forcedExit");
        AtomicInteger received = new AtomicInteger();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                String cause = "SIG" + signal.getName();
                if (received.incrementAndGet() == 1) {
                    log.info("{} received: draining (send it again to exit at once)", cause);
                    drain.start(cause);
                    return;
                }
                log.warn("{} received during the drain: exiting at once with status {}", cause, FORCED_EXIT);
                System.err.flush();
                forcedExit.run();
            });
        }
    }
}
