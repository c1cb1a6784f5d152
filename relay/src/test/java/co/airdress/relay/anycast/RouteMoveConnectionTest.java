package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.anycast.ReadyzDouble.Mode;
import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What happens to established TCP connections when the controller moves the VIPs away from a
 * PoP: two dual-stack PoPs announce the same IPv4 and IPv6 VIPs, the client's connections (one to
 * each VIP) land on pop1 (preferred), then pop1 drains (GRACEFUL_SHUTDOWN) or fails (withdraw),
 * which moves both families' routes at once. The client is a real TCP client in its own
 * namespace, sending a line every 20 ms on each connection; the servers are real sockets
 * listening on the wildcard address ({@code [::]}, dual-stack) in each PoP. Without flow rescue
 * pop2 resets the connections; with it ({@code docker/flow-rescue}, IPv4 and IPv6, over a veth
 * link between the PoPs) pop2 hands the connections' packets to pop1, which keeps answering.
 * Times are on CLOCK_MONOTONIC, shared by this JVM's {@code System.nanoTime} and Python's
 * {@code time.monotonic_ns}.
 */
class RouteMoveConnectionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final String SERVER = """
            import socket, sys, threading
            name = sys.argv[1]
            s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(('::', 8080)); s.listen(64)
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
            import socket, sys, time
            # Setup only: a connect that meets an ICMP unreachable is retried (seen once, right after
            # the router's FIB changed); what the tests judge is the connection once it exists.
            for attempt in range(5):
                try:
                    c = socket.create_connection((sys.argv[1], 8080), timeout=2); break
                except OSError as e:
                    if attempt == 4: raise
                    print('RETRY', time.monotonic_ns(), e, flush=True); time.sleep(0.2)
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

    /** Answers from pop1 after the move that show the connection survived it (0.5 s of the client's loop). */
    private static final int ANSWERS_AFTER_MOVE = 25;

    private @Nullable AnycastController controller;
    private final Map<Family, ExternalProcess> clients = new EnumMap<>(Family.class);
    private boolean rescue;

    @BeforeAll
    static void startLab() throws IOException {
        Prerequisites.tool("python3");
        lab = BirdLab.start(true);
        readyz = new ReadyzDouble();
        server1 =
                lab.pop().start("server-pop1", "python3", "-c", SERVER, "pop1").awaitOutput("LISTENING", WAIT);
        server2 =
                lab.pop2().start("server-pop2", "python3", "-c", SERVER, "pop2").awaitOutput("LISTENING", WAIT);
        // The inter-PoP link flow rescue uses; unused (no route over it) until a test installs rescue.
        lab.pop().link("p1-p2", "10.0.99.1/30", lab.pop2(), "p2-p1", "10.0.99.2/30");
        lab.pop().addAddress("p1-p2", "2001:db8:100:99::1/64");
        lab.pop2().addAddress("p2-p1", "2001:db8:100:99::2/64");
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
        clients.values().forEach(ExternalProcess::close);
        clients.clear();
        if (controller != null) {
            controller.close();
        }
        if (rescue) {
            lab.pop().exec(flowRescue("down"));
            lab.pop2().exec(flowRescue("down"));
        }
    }

    private static String[] flowRescue(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = BirdLab.repoFile("docker/flow-rescue/flow-rescue.sh").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return command;
    }

    /** Installs flow rescue (both families) in both PoPs, each handing strays to the other over the link. */
    private void installFlowRescue() {
        Prerequisites.tool("nft");
        rescue = true;
        rescueUp(lab.pop(), "p1-p2", "10.0.99.2", "2001:db8:100:99::2");
        rescueUp(lab.pop2(), "p2-p1", "10.0.99.1", "2001:db8:100:99::1");
    }

    private static void rescueUp(NetworkNamespace pop, String link, String via4, String via6) {
        pop.exec(flowRescue(
                "up",
                "--vip",
                Family.IPV4.vip(),
                "--vip",
                Family.IPV6.vip(),
                "--ports",
                "8080",
                "--link",
                link,
                "--via",
                via4,
                "--via",
                via6));
    }

    /** {@code flow-rescue.sh show}'s counter {@code name} in pop2. */
    private static long pop2Counter(String name) {
        for (String line : lab.pop2().exec(flowRescue("show")).split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2 && f[0].equals(name)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new AssertionError("no counter " + name + " in flow-rescue.sh show");
    }

    /** The client's answers logged after {@code t} (monotonic ns): the PoP names, in order. */
    private static List<String> answersAfter(ExternalProcess c, long t) {
        List<String> pops = new ArrayList<>();
        for (String line : c.output().split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 3 && f[0].equals("OK") && Long.parseLong(f[1]) > t) {
                pops.add(f[2]);
            }
        }
        return pops;
    }

    /** Whether the router's FIB routes both VIPs via that PoP's next hops. */
    private static boolean routedVia(boolean pop1) {
        for (Family f : Family.values()) {
            if (!lab.fibAtRouter(f).contains("via " + (pop1 ? f.pop1() : f.pop2()) + " ")) {
                return false;
            }
        }
        return true;
    }

    private void startController() throws IOException {
        AnycastController c = new AnycastController(new AnycastController.Config(
                readyz.uri(),
                lab.popSocket(),
                BirdLab.PROTOCOLS,
                lab.stateFile(),
                Duration.ofMillis(100),
                Duration.ofMillis(80),
                Duration.ofSeconds(2),
                new AnnouncementPolicy.Settings(
                        2,
                        3,
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(8),
                        Duration.ofMinutes(1)),
                new InetSocketAddress("127.0.0.1", 0)));
        controller = c;
        c.start();
    }

    /**
     * Starts the controller (relay UP) and one client connection per family, and waits until pop1
     * has answered both.
     */
    private Map<Family, ExternalProcess> connectToPop1() throws IOException {
        readyz.set(Mode.UP);
        startController();
        Await.until(WAIT, "router routes both VIPs to pop1", () -> routedVia(true));
        for (Family f : Family.values()) {
            clients.put(f, lab.client().start("client-" + f, "python3", "-c", CLIENT, f.vip()));
        }
        for (ExternalProcess c : clients.values()) {
            Await.until(WAIT, "client served by pop1: " + c, () -> c.output().contains("pop1"));
        }
        return clients;
    }

    /** Requires a new connection of each family to be served by pop2, where the routes now lead. */
    private static void awaitNewConnectionsOnPop2() {
        for (Family f : Family.values()) {
            try (ExternalProcess fresh = lab.client().start("client2-" + f, "python3", "-c", CLIENT, f.vip())) {
                Await.until(
                        WAIT,
                        "a new connection to " + f.vip() + " is served by pop2",
                        () -> fresh.output().contains("pop2"));
            }
        }
    }

    /** Requires {@code c} to go on being answered by pop1 after the move at {@code fibAt}; returns the answers. */
    private static int assertStillServedByPop1(ExternalProcess c, long fibAt) {
        Await.until(
                WAIT,
                ANSWERS_AFTER_MOVE + " answers after the move, or a broken connection: " + c,
                () -> answersAfter(c, fibAt).size() >= ANSWERS_AFTER_MOVE || errorAt(c) > 0);
        assertThat(errorLine(c))
                .as("the established connection across the move")
                .isEmpty();
        List<String> answers = answersAfter(c, fibAt);
        assertThat(answers).as("who answered after the move").containsOnly("pop1");
        return answers.size();
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
        String line = "TIMING " + scenario + ": router FIB moved to pop2 (both families) after "
                + (fibAt - t0) / 1_000_000 + " ms; established connection broke after "
                + (brokenAt - t0) / 1_000_000 + " ms (" + how + ")";
        System.out.println(line);
        timings.add(line);
    }

    @Test
    void drainMovesTheRouteAndTheEstablishedConnectionIsResetByTheOtherPop() throws IOException {
        Map<Family, ExternalProcess> connections = connectToPop1();

        readyz.set(Mode.DRAINING);
        long t0 = System.nanoTime();
        Await.until(
                WAIT,
                "router prefers pop2 for both VIPs (pop1 de-preferred by GRACEFUL_SHUTDOWN)",
                () -> routedVia(false));
        long fibAt = System.nanoTime();
        for (Family f : Family.values()) {
            assertThat(lab.routeAtRouter(f))
                    .as("pop1's path to %s is still there, de-preferred", f.vip())
                    .contains("(65535,0)");
        }
        for (Map.Entry<Family, ExternalProcess> e : connections.entrySet()) {
            ExternalProcess c = e.getValue();
            Await.until(WAIT, "client connection broken: " + c, () -> errorAt(c) > 0);
            String how = errorLine(c);
            record("drain (GRACEFUL_SHUTDOWN), " + e.getKey(), t0, fibAt, errorAt(c), how);
            assertThat(how).as(e.getKey().toString()).contains("ConnectionResetError");
        }

        awaitNewConnectionsOnPop2();
    }

    @Test
    void withdrawMovesTheRouteAndTheEstablishedConnectionIsResetByTheOtherPop() throws IOException {
        Map<Family, ExternalProcess> connections = connectToPop1();

        readyz.set(Mode.DOWN);
        long t0 = System.nanoTime();
        Await.until(WAIT, "router routes both VIPs to pop2 after pop1's withdrawal", () -> routedVia(false));
        long fibAt = System.nanoTime();
        for (Map.Entry<Family, ExternalProcess> e : connections.entrySet()) {
            ExternalProcess c = e.getValue();
            Await.until(WAIT, "client connection broken: " + c, () -> errorAt(c) > 0);
            String how = errorLine(c);
            record("withdraw (503 DOWN, fall 3 x 100 ms), " + e.getKey(), t0, fibAt, errorAt(c), how);
            assertThat(how).as(e.getKey().toString()).contains("ConnectionResetError");
        }
    }

    @Test
    void drainWithFlowRescueKeepsTheEstablishedConnectionOnPop1() throws IOException {
        installFlowRescue();
        Map<Family, ExternalProcess> connections = connectToPop1();
        long rescuedBefore = pop2Counter("rescued");

        readyz.set(Mode.DRAINING);
        long t0 = System.nanoTime();
        Await.until(
                WAIT,
                "router prefers pop2 for both VIPs (pop1 de-preferred by GRACEFUL_SHUTDOWN)",
                () -> routedVia(false));
        long fibAt = System.nanoTime();
        for (Map.Entry<Family, ExternalProcess> e : connections.entrySet()) {
            int answers = assertStillServedByPop1(e.getValue(), fibAt);
            timings.add("TIMING drain (GRACEFUL_SHUTDOWN) with flow rescue, " + e.getKey()
                    + ": router FIB moved to pop2 (both families) after " + (fibAt - t0) / 1_000_000
                    + " ms; established connection still answered by pop1 " + answers + " times after the move");
        }
        assertThat(pop2Counter("rescued") - rescuedBefore)
                .as("packets pop2 handed to pop1 (both connections)")
                .isGreaterThanOrEqualTo(2L * ANSWERS_AFTER_MOVE);
        assertThat(pop2Counter("not_forwarded"))
                .as("forwarded packets pop2 dropped")
                .isZero();

        awaitNewConnectionsOnPop2();
    }

    @Test
    void withdrawWithFlowRescueKeepsTheEstablishedConnectionWhilePop1StillServesIt() throws IOException {
        installFlowRescue();
        Map<Family, ExternalProcess> connections = connectToPop1();

        readyz.set(Mode.DOWN); // the health check fails; pop1's server itself still runs
        Await.until(WAIT, "router routes both VIPs to pop2 after pop1's withdrawal", () -> routedVia(false));
        long fibAt = System.nanoTime();
        for (ExternalProcess c : connections.values()) {
            assertStillServedByPop1(c, fibAt);
        }
        awaitNewConnectionsOnPop2();
    }
}
