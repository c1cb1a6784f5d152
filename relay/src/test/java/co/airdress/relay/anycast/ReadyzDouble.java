package co.airdress.relay.anycast;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Stands in for the relay's {@code /readyz} (the relay is written elsewhere): the test flips what
 * it answers. {@link Mode#HANG} accepts the request and never answers, like a hung JVM. Every
 * answer is recorded with its time, so tests can tell which answers preceded a route change.
 */
final class ReadyzDouble implements AutoCloseable {

    enum Mode {
        UP,
        DOWN,
        DRAINING,
        HANG,
        CUSTOM
    }

    record Served(long nanos, Mode mode) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "readyz-double");
        t.setDaemon(true);
        return t;
    });
    private final Object lock = new Object();
    private final List<Served> served = new ArrayList<>();
    private Mode mode = Mode.DOWN;
    private int customStatus = 200;
    private byte[] customBody = new byte[0];

    ReadyzDouble() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/readyz", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/readyz");
    }

    void set(Mode newMode) {
        synchronized (lock) {
            mode = newMode;
            lock.notifyAll();
        }
    }

    void custom(int status, String body) {
        synchronized (lock) {
            customStatus = status;
            customBody = body.getBytes(StandardCharsets.UTF_8);
            mode = Mode.CUSTOM;
            lock.notifyAll();
        }
    }

    /** Answers served so far (hung requests are not answers). */
    List<Served> served() {
        synchronized (lock) {
            return List.copyOf(served);
        }
    }

    /** The time the n-th (1-based) answer in {@code mode} was served at or after {@code sinceNanos}, or -1. */
    long nthServedSince(Mode m, int n, long sinceNanos) {
        int count = 0;
        for (Served s : served()) {
            if (s.nanos() >= sinceNanos && s.mode() == m && ++count == n) {
                return s.nanos();
            }
        }
        return -1;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Mode m;
            int status;
            byte[] body;
            synchronized (lock) {
                while (mode == Mode.HANG) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                m = mode;
                status = switch (m) {
                    case UP -> 200;
                    case CUSTOM -> customStatus;
                    default -> 503;
                };
                body = switch (m) {
                    case UP -> "{\"status\":\"UP\",\"pop\":\"test\"}".getBytes(StandardCharsets.UTF_8);
                    case DOWN -> "{\"status\":\"DOWN\",\"pop\":\"test\"}".getBytes(StandardCharsets.UTF_8);
                    case DRAINING -> "{\"status\":\"DRAINING\",\"pop\":\"test\"}".getBytes(StandardCharsets.UTF_8);
                    default -> customBody;
                };
                served.add(new Served(System.nanoTime(), m));
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        set(Mode.DOWN);
        server.stop(0);
        executor.shutdownNow();
    }
}
