package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.directory.OperatorDirectory;
import co.airdress.relay.drain.DrainCoordinator;
import co.airdress.relay.drain.StandInTarget;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.management.ManagementServer;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.Await;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Any local user can open connections to the management listener. Held idle, or fed a request
 * one byte at a time, from one source address or from many (all of 127.0.0.0/8 is this host's),
 * they must not keep the anycast controller's probe of {@code /readyz}, nor the supervisor's of
 * {@code /livez}, from an answer within the probe's own timeout: a probe without an answer is a
 * failure, and {@code fall} of them in a row withdraw the PoP. Each kind of probe must fail fewer
 * than {@code fall} times in all (a loaded test machine may miss a deadline now and then; before
 * the listener made room for probes, every probe on a new connection failed).
 */
class ProbeUnderManagementAttackTest {

    /** The controller's default probe timeout: 80 % of its default 500 ms interval. */
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(400);
    /** Connections the attacker keeps trying to hold: twice the listener's own limit. */
    private static final int ATTACK_CONNECTIONS = 128;

    /** The controller's default {@code --fall}: that many failed probes in a row withdraw the PoP. */
    private static final int FALL = 3;

    private static final int PROBES = 10;

    enum Attack {
        IDLE_FROM_ONE_ADDRESS(false, false),
        IDLE_FROM_MANY_ADDRESSES(false, true),
        SLOW_DRIP_FROM_ONE_ADDRESS(true, false),
        SLOW_DRIP_FROM_MANY_ADDRESSES(true, true);

        final boolean drip;
        final boolean manySources;

        Attack(boolean drip, boolean manySources) {
            this.drip = drip;
            this.manySources = manySources;
        }
    }

    @TempDir
    Path dir;

    private final HealthState health = new HealthState("ams1");
    private final RelayMetrics metrics = new RelayMetrics("ams1");
    private @Nullable EventLoopGroup dataPlane;
    private @Nullable OperatorDirectory operators;
    private @Nullable ManagementServer server;
    private @Nullable Attacker attacker;

    @BeforeEach
    void start() throws IOException {
        Path file = dir.resolve("operators.yaml");
        Files.writeString(file, "operators: []\n");
        operators = new OperatorDirectory(file, new Routes(RouteTable.empty()), health, metrics);
        operators.start();
        health.listener("http", true);
        health.listener("tls", true);
        DrainCoordinator drain = new DrainCoordinator(
                new RelayConfig.Drain(Duration.ofSeconds(10), Duration.ofMinutes(1)), health, new StandInTarget());
        // /livez posts a task to each of these loops, as it does to the data plane's.
        dataPlane = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        server = new ManagementServer(
                        new RelayConfig.Management(new InetSocketAddress("127.0.0.1", 0), null),
                        health,
                        metrics,
                        operators,
                        drain)
                .watchEventLoops(dataPlane);
        server.start();
    }

    @AfterEach
    void stop() {
        if (attacker != null) {
            attacker.close();
        }
        if (server != null) {
            server.close();
        }
        if (operators != null) {
            operators.close();
        }
        if (dataPlane != null) {
            dataPlane.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @EnumSource(Attack.class)
    void readyzAndLivezAreAnsweredWithinTheProbeTimeout(Attack attack) throws Exception {
        InetSocketAddress address = server.boundAddress();
        URI base = URI.create("http://127.0.0.1:" + address.getPort());
        // The controller's client, its connection kept alive from before the attack.
        try (HealthProbe before = new HealthProbe(base.resolve("/readyz"), PROBE_TIMEOUT)) {
            // A cold JVM may miss the first deadlines (class loading, JIT): healthy before the attack.
            Await.until(
                    Duration.ofSeconds(30),
                    "readyz UP before the attack",
                    () -> before.probe().outcome() == ProbeOutcome.UP);
            Await.until(
                    Duration.ofSeconds(30),
                    "livez UP before the attack",
                    () -> freshProbe(address, "/livez").startsWith("UP"));

            attacker = new Attacker(address, attack);
            attacker.start();
            Await.until(
                    Duration.ofSeconds(30),
                    "the attacker to have opened " + ATTACK_CONNECTIONS + " connections, twice over",
                    () -> attacker.opened.get() >= 2 * ATTACK_CONNECTIONS);

            // A controller (re)started during the attack: its client connects now.
            try (HealthProbe during = new HealthProbe(base.resolve("/readyz"), PROBE_TIMEOUT)) {
                Map<String, List<String>> outcomes = new LinkedHashMap<>();
                for (int i = 0; i < PROBES; i++) {
                    record(outcomes, "kept-alive client, /readyz", describe(before.probe()));
                    record(outcomes, "new client, /readyz", describe(during.probe()));
                    // A probe on a new connection each time (a supervisor, kubelet, curl).
                    record(outcomes, "new connection, /readyz", freshProbe(address, "/readyz"));
                    record(outcomes, "new connection, /livez", freshProbe(address, "/livez"));
                }
                assertThat(attacker.failure)
                        .as("the attacker itself did not fail")
                        .isNull();
                outcomes.forEach((probe, list) -> assertThat(failures(list))
                        .as("%s probes (timeout %s) during %s: %s", probe, PROBE_TIMEOUT, attack, list)
                        .isLessThan(FALL));
                assertThat(metrics.scrape())
                        .as("the attacker's connections gave way")
                        .containsPattern(
                                "relay_management_connections_dropped_total\\{pop=\"ams1\",reason=\"evicted\"} [1-9]");
            }
        }
    }

    private static void record(Map<String, List<String>> outcomes, String probe, String outcome) {
        outcomes.computeIfAbsent(probe, k -> new ArrayList<>()).add(outcome);
    }

    /** Probes without an UP answer; fewer than {@link #FALL} cannot withdraw the PoP, in any order. */
    private static long failures(List<String> outcomes) {
        return outcomes.stream().filter(o -> !o.startsWith("UP")).count();
    }

    private static String describe(HealthProbe.Result r) {
        return r.outcome() + " (" + r.detail() + ")";
    }

    /**
     * One GET on a new connection ({@code Connection: close}), classified like the controller's
     * probe; anything short of a complete answer within {@link #PROBE_TIMEOUT} is a failure.
     */
    private static String freshProbe(InetSocketAddress address, String path) {
        long deadline = System.nanoTime() + PROBE_TIMEOUT.toNanos();
        try (Socket s = new Socket()) {
            s.connect(address, (int) PROBE_TIMEOUT.toMillis());
            s.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return "TIMEOUT (no complete answer within " + PROBE_TIMEOUT + ")";
                }
                s.setSoTimeout((int) left);
                int n = s.getInputStream().read(buf);
                if (n < 0) {
                    break;
                }
                response.write(buf, 0, n);
            }
            String text = response.toString(StandardCharsets.UTF_8);
            int body = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || body < 0) {
                return "BAD_RESPONSE (" + text.length() + " bytes: " + text + ")";
            }
            int status = Integer.parseInt(text.substring(9, 12));
            return describe(
                    HealthProbe.classify(status, text.substring(body + 4).getBytes(StandardCharsets.UTF_8)));
        } catch (SocketTimeoutException e) {
            return "TIMEOUT (" + e + ")";
        } catch (IOException e) {
            return "FAILED (" + e + ")";
        }
    }

    /**
     * Keeps trying to hold {@link #ATTACK_CONNECTIONS} connections: reopens each one the server
     * closes. Idle ones send nothing; dripping ones send a request head one byte every cycle and
     * never finish it, so they are never idle.
     */
    private static final class Attacker implements AutoCloseable {

        private static final byte[] HEAD_START =
                "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Drip: ".getBytes(StandardCharsets.US_ASCII);
        private static final Duration CYCLE = Duration.ofMillis(100);

        final AtomicInteger opened = new AtomicInteger();
        volatile @Nullable Throwable failure;

        private final InetSocketAddress target;
        private final Attack attack;
        private final SocketChannel[] slots = new SocketChannel[ATTACK_CONNECTIONS];
        private final Thread thread;
        private volatile boolean closed;

        Attacker(InetSocketAddress target, Attack attack) {
            this.target = target;
            this.attack = attack;
            this.thread = new Thread(this::run, "management-attacker");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            ByteBuffer sink = ByteBuffer.allocate(4096);
            ByteBuffer drip = ByteBuffer.wrap(new byte[] {'a'});
            try {
                while (!closed) {
                    for (int i = 0; i < slots.length && !closed; i++) {
                        SocketChannel ch = slots[i];
                        if (ch != null && !alive(ch, sink)) {
                            ch.close();
                            ch = null;
                        }
                        if (ch == null) {
                            slots[i] = ch = open(i);
                            if (ch == null) {
                                continue;
                            }
                        }
                        if (attack.drip) {
                            try {
                                ch.write(drip.rewind());
                            } catch (IOException e) {
                                // closed by the server meanwhile: reopened next cycle
                            }
                        }
                    }
                    Thread.sleep(CYCLE);
                }
            } catch (InterruptedException e) {
                // closing
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** False once the server has closed (or reset) the connection. */
        private static boolean alive(SocketChannel ch, ByteBuffer sink) {
            try {
                sink.clear();
                return ch.read(sink) >= 0;
            } catch (IOException e) {
                return false;
            }
        }

        private @Nullable SocketChannel open(int i) throws IOException {
            SocketChannel ch = SocketChannel.open();
            try {
                if (attack.manySources) {
                    // 127.0.2.1 .. 127.0.2.128: every one is an address of this host.
                    ch.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 2, (byte) (i + 1)}), 0));
                }
                ch.connect(target);
                ch.configureBlocking(false);
                if (attack.drip) {
                    ch.write(ByteBuffer.wrap(HEAD_START));
                }
                opened.incrementAndGet();
                return ch;
            } catch (IOException e) {
                // refused or reset at once: tried again next cycle
                ch.close();
                return null;
            }
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (SocketChannel ch : slots) {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException e) {
                        // already gone
                    }
                }
            }
        }
    }
}
