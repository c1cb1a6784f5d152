package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.anycast.ReadyzDouble.Mode;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What happens to an established TCP connection when the controller moves the VIP away from a
 * PoP: two PoPs announce the same VIP, the client's connection lands on pop1 (preferred), then
 * pop1 drains (GRACEFUL_SHUTDOWN) or fails (withdraw). The client is a real TCP client in its own
 * namespace, sending a line every 20 ms; the servers are real sockets on the VIP in each PoP.
 * Times are on CLOCK_MONOTONIC, shared by this JVM's {@code System.nanoTime} and Python's
 * {@code time.monotonic_ns}.
 */
class RouteMoveConnectionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final String SERVER = """
            import socket, sys, threading
            name = sys.argv[1]
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('192.0.2.1', 8080)); s.listen(64)
            print('LISTENING', flush=True)
            def echo(c):
                with c:
                    while True:
                        d = c.recv(100)
                        if not d: return
                        c.sendall(name.encode() + b'\\n')
            while True:
                c, _ = s.accept()
                threading.Thread(target=echo, args=(c,), daemon=True).start()
            """;

    private static final String CLIENT = """
            import socket, time
            c = socket.create_connection(('192.0.2.1', 8080), timeout=2)
            while True:
                try:
                    c.sendall(b'x\\n'); d = c.recv(100)
                    if not d:
                        print('EOF', time.monotonic_ns(), flush=True); break
                    print('OK', time.monotonic_ns(), d.decode().strip(), flush=True)
                except Exception as e:
                    print('ERR', time.monotonic_ns(), type(e).__name__, flush=True); break
                time.sleep(0.02)
            """;

    private static final List<String> timings = new ArrayList<>();
    private static BirdLab lab;
    private static ReadyzDouble readyz;
    private static ExternalProcess server1;
    private static ExternalProcess server2;

    private @Nullable AnycastController controller;
    private @Nullable ExternalProcess client;

    @BeforeAll
    static void startLab() throws IOException {
        Prerequisites.tool("python3");
        lab = BirdLab.start(true);
        readyz = new ReadyzDouble();
        server1 = lab.pop().start("server-pop1", "python3", "-c", SERVER, "pop1").awaitOutput("LISTENING", WAIT);
        server2 = lab.pop2().start("server-pop2", "python3", "-c", SERVER, "pop2").awaitOutput("LISTENING", WAIT);
    }

    @AfterAll
    static void stopLab() throws IOException {
        for (AutoCloseable c : new AutoCloseable[] {server1, server2, readyz, lab}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // Best effort; the namespaces' close ends whatever is left inside.
            }
        }
        if (!timings.isEmpty()) {
            Path out = Path.of("target", "anycast-timings.txt");
            Files.createDirectories(out.getParent());
            Files.write(out, timings, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (controller != null) {
            controller.close();
        }
    }

    private static String fib() {
        return lab.fibAtRouter();
    }

    private void startController() throws IOException {
        AnycastController c = new AnycastController(new AnycastController.Config(readyz.uri(), lab.popSocket(), "vip",
                lab.stateFile(), Duration.ofMillis(100), Duration.ofMillis(80), Duration.ofSeconds(2),
                new AnnouncementPolicy.Settings(2, 3, Duration.ofSeconds(2), Duration.ofSeconds(1),
                        Duration.ofSeconds(8), Duration.ofMinutes(1)),
                new InetSocketAddress("127.0.0.1", 0)));
        controller = c;
        c.start();
    }

    /** Starts a client connection and waits until pop1 has answered it. */
    private ExternalProcess connectToPop1() {
        Await.until(WAIT, "router routes the VIP to pop1", () -> fib().contains("via 10.0.1.2"));
        ExternalProcess c = lab.client().start("client", "python3", "-c", CLIENT);
        client = c;
        Await.until(WAIT, "client served by pop1: " + c, () -> c.output().contains("pop1"));
        return c;
    }

    private static long errorAt(ExternalProcess c) {
        for (String line : c.output().split("\n")) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("ERR") || f[0].equals("EOF")) {
                return Long.parseLong(f[1]);
            }
        }
        return -1;
    }

    private static String errorLine(ExternalProcess c) {
        for (String line : c.output().split("\n")) {
            if (line.startsWith("ERR") || line.startsWith("EOF")) {
                return line;
            }
        }
        return "";
    }

    private static void record(String scenario, long t0, long fibAt, long brokenAt, String how) {
        String line = "TIMING " + scenario + ": router FIB moved to pop2 after " + (fibAt - t0) / 1_000_000
                + " ms; established connection broke after " + (brokenAt - t0) / 1_000_000 + " ms (" + how + ")";
        System.out.println(line);
        timings.add(line);
    }

    @Test
    void drainMovesTheRouteAndTheEstablishedConnectionIsResetByTheOtherPop() throws IOException {
        readyz.set(Mode.UP);
        startController();
        ExternalProcess c = connectToPop1();

        readyz.set(Mode.DRAINING);
        long t0 = System.nanoTime();
        Await.until(WAIT, "router prefers pop2 (pop1 de-preferred by GRACEFUL_SHUTDOWN)", () -> fib().contains("via 10.0.2.2"));
        long fibAt = System.nanoTime();
        assertThat(lab.routeAtRouter()).as("pop1's path is still there, de-preferred").contains("(65535,0)");
        Await.until(WAIT, "client connection broken", () -> errorAt(c) > 0);
        String how = errorLine(c);
        record("drain (GRACEFUL_SHUTDOWN)", t0, fibAt, errorAt(c), how);
        assertThat(how).contains("ConnectionResetError");

        ExternalProcess fresh = lab.client().start("client2", "python3", "-c", CLIENT);
        try {
            Await.until(WAIT, "a new connection is served by pop2", () -> fresh.output().contains("pop2"));
        } finally {
            fresh.close();
        }
    }

    @Test
    void withdrawMovesTheRouteAndTheEstablishedConnectionIsResetByTheOtherPop() throws IOException {
        readyz.set(Mode.UP);
        startController();
        ExternalProcess c = connectToPop1();

        readyz.set(Mode.DOWN);
        long t0 = System.nanoTime();
        Await.until(WAIT, "router routes to pop2 after pop1's withdrawal", () -> fib().contains("via 10.0.2.2"));
        long fibAt = System.nanoTime();
        Await.until(WAIT, "client connection broken", () -> errorAt(c) > 0);
        String how = errorLine(c);
        record("withdraw (503 DOWN, fall 3 x 100 ms)", t0, fibAt, errorAt(c), how);
        assertThat(how).contains("ConnectionResetError");
    }
}
