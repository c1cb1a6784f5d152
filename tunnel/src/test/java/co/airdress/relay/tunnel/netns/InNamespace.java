package co.airdress.relay.tunnel.netns;

import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.tunnel.internal.Libc;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code on a fresh platform thread that has joined a network namespace with {@code setns(2)},
 * so that the TUN device, the UDP socket and the {@code ip} commands it makes live there while
 * the test JVM stays where it is. Threads started from that thread inherit the namespace.
 */
public final class InNamespace {

    private InNamespace() {}

    public static <T> T call(NetworkNamespace ns, Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            enter(ns.name());
            return body.call();
        });
        Thread thread = Thread.ofPlatform().name("in-" + ns.name()).start(task);
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } finally {
            thread.join();
        }
    }

    public static void run(NetworkNamespace ns, ThrowingRunnable body) throws Exception {
        call(ns, () -> {
            body.run();
            return null;
        });
    }

    /** Moves the calling thread (only) into {@code /var/run/netns/<name>}. */
    public static void enter(String name) {
        int fd = Libc.open("/var/run/netns/" + name, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open netns " + name + ": " + Libc.errnoName(Libc.errno()));
        }
        try {
            if (Libc.setns(fd, Libc.CLONE_NEWNET) < 0) {
                throw new IllegalStateException("setns " + name + ": " + Libc.errnoName(Libc.errno()));
            }
        } finally {
            Libc.close(fd);
        }
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
