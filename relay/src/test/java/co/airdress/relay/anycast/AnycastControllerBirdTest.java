package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.anycast.ReadyzDouble.Mode;
import co.airdress.relay.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller against a real BIRD pair (PoP + upstream router in network namespaces, the
 * shipped dual-stack configs: one BGP session per address family, BFD on each). The controller
 * drives both VIP protocols ({@code vip} for 192.0.2.1/32, {@code vip6} for 2001:db8::1/128) from
 * the one readiness signal, and every assertion on an announcement holds for both families. Every
 * assertion is on the router's actual routing state, read with {@code birdc}. The readyz endpoint
 * is a double in this JVM; BIRD is never faked.
 *
 * <p>Times from a readiness flip to the route change at the router are printed as
 * {@code TIMING ...} lines (and written to {@code target/anycast-timings.txt}) for
 * docs/operating-a-pop.md; they are measured by polling {@code birdc show route} at the router
 * right after the flip, so they include up to ~50 ms of polling granularity.
 */
class AnycastControllerBirdTest {

    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<String> timings = new ArrayList<>();

    private static BirdLab lab;
    private static ReadyzDouble readyz;

    private @Nullable AnycastController controller;

    @BeforeAll
    static void startLab() throws IOException {
        lab = BirdLab.start();
        readyz = new ReadyzDouble();
    }

    @AfterAll
    static void stopLab() throws IOException {
        if (readyz != null) {
            readyz.close();
        }
        if (lab != null) {
            lab.close();
        }
        if (!timings.isEmpty()) {
            Path out = Path.of("target", "anycast-timings.txt");
            Files.createDirectories(out.getParent());
            Files.write(out, timings, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @BeforeEach
    void cleanStart() {
        readyz.set(Mode.DOWN);
        awaitRouter("no VIP at the router before the test", () -> !lab.vipAtRouter());
    }

    @AfterEach
    void stopController() {
        if (controller != null) {
            controller.close();
            controller = null;
        }
        // Leave the lab as the next test expects it: PoP BIRD running, session up, VIP withdrawn.
        lab.writeState(BirdAction.WITHDRAW);
        if (lab.birdc(lab.popSocket(), "show status").exitCode() != 0) {
            lab.startPopBird();
        }
        lab.birdc(lab.popSocket(), "configure");
        lab.awaitSession();
    }

    private AnycastController startController(int rise, int fall, Duration drainDelay, Duration backoffBase)
            throws IOException {
        return startController(INTERVAL, Duration.ofMillis(80), rise, fall, drainDelay, backoffBase);
    }

    private AnycastController startController(
            Duration interval, Duration timeout, int rise, int fall, Duration drainDelay, Duration backoffBase)
            throws IOException {
        AnycastController.Config config = new AnycastController.Config(
                readyz.uri(),
                lab.popSocket(),
                BirdLab.PROTOCOLS,
                lab.stateFile(),
                interval,
                timeout,
                Duration.ofSeconds(2),
                new AnnouncementPolicy.Settings(
                        rise, fall, drainDelay, backoffBase, backoffBase.multipliedBy(8), Duration.ofMinutes(1)),
                new InetSocketAddress("127.0.0.1", 0));
        AnycastController c = new AnycastController(config);
        controller = c;
        c.start();
        return c;
    }

    private static void awaitRouter(String what, BooleanSupplier condition) {
        try {
            Await.until(WAIT, what, condition);
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + "\nrouter: " + lab.routesAtRouter() + "\npop: "
                            + lab.popProtocolState(Family.IPV4) + lab.popProtocolState(Family.IPV6) + "\n"
                            + lab.logs(),
                    e);
        }
    }

    /** Waits for the router condition and returns the time from {@code sinceNanos} in ms. */
    private static long timeUntil(long sinceNanos, String scenario, BooleanSupplier condition) {
        awaitRouter(scenario, condition);
        long millis = (System.nanoTime() - sinceNanos) / 1_000_000;
        String line = "TIMING " + scenario + ": " + millis + " ms";
        System.out.println(line);
        timings.add(line);
        return millis;
    }

    /** Both VIPs at the router, without GRACEFUL_SHUTDOWN. */
    private static boolean announcedPlainly() {
        for (Family f : Family.values()) {
            String route = lab.routeAtRouter(f);
            if (route == null || route.contains("(65535,0)") || !route.contains("BGP.local_pref: 100")) {
                return false;
            }
        }
        return true;
    }

    /** Both VIPs at the router carry GRACEFUL_SHUTDOWN. */
    private static boolean drainedAtRouter() {
        for (Family f : Family.values()) {
            String route = lab.routeAtRouter(f);
            if (route == null || !route.contains("(65535,0)")) {
                return false;
            }
        }
        return true;
    }

    /** The router's FIB has no route to either VIP. */
    private static void assertNoFibEntry() {
        for (Family f : Family.values()) {
            assertThat(lab.fibAtRouter(f)).as("FIB entry for %s", f.vip()).isBlank();
        }
    }

    /** The router's FIB routes both VIPs to pop1. */
    private static void assertFibViaPop1() {
        for (Family f : Family.values()) {
            assertThat(lab.fibAtRouter(f)).as("FIB entry for %s", f.vip()).contains("via " + f.pop1());
        }
    }

    private static void assertPopProtocols(String state) {
        for (Family f : Family.values()) {
            assertThat(lab.popProtocolState(f)).as("pop's %s", f.protocol()).contains(" " + state + " ");
        }
    }

    @Test
    void birdAloneAnnouncesNothingAndTheControllerAnnouncesOnlyAfterRiseHealthyProbes() throws IOException {
        assertThat(lab.vipAtRouter())
                .as("BIRD started from the initial state file announces nothing")
                .isFalse();
        assertNoFibEntry();
        int rise = 5;
        readyz.set(Mode.UP);
        long flip = System.nanoTime();
        AnycastController c = startController(rise, 3, Duration.ofSeconds(1), Duration.ofSeconds(1));
        long millis = timeUntil(
                flip,
                "controller start, readyz UP -> VIP at router (rise 5, interval 100ms)",
                AnycastControllerBirdTest::announcedPlainly);
        long seen = System.nanoTime();
        long riseTh = readyz.nthServedSince(Mode.UP, rise, flip);
        assertThat(riseTh)
                .as("the %d-th UP answer was served before the route appeared", rise)
                .isPositive();
        assertThat(riseTh).isLessThan(seen);
        assertThat(millis).as("rise 5 at 100 ms cannot complete sooner").isGreaterThanOrEqualTo(400);
        assertFibViaPop1();
        assertThat(c.snapshot().state()).isEqualTo(PolicyState.ANNOUNCED);
        assertThat(c.snapshot().applied()).isEqualTo(BirdAction.ANNOUNCE);

        // The status listener reports the same.
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://127.0.0.1:" + c.statusAddress().getPort());
        try {
            HttpResponse<String> status = http.send(
                    HttpRequest.newBuilder(base.resolve("/status")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.body()).contains("\"state\" : \"ANNOUNCED\"").contains("\"applied\" : \"ANNOUNCE\"");
            // Both VIP protocols read back from BIRD as up ("start" on the way).
            String bothUp = "\"protocols\":[{\"name\":\"vip\",\"state\":\"up\"},{\"name\":\"vip6\",\"state\":\"up\"}]";
            Await.until(
                    WAIT,
                    "/status lists vip and vip6 up",
                    () -> get(http, base.resolve("/status"))
                            .replaceAll("\\s+", "")
                            .contains(bothUp));
            HttpResponse<String> metrics = http.send(
                    HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body())
                    .contains("anycast_probes_total{outcome=\"UP\"}")
                    .contains("anycast_announced 1.0")
                    .contains("anycast_bird_protocol_up{protocol=\"vip\"} 1.0")
                    .contains("anycast_bird_protocol_up{protocol=\"vip6\"} 1.0")
                    .contains("anycast_state{state=\"ANNOUNCED\"} 1.0");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            http.close();
        }
    }

    private static String get(HttpClient http, URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void downForFallProbesWithdrawsAndAHungReadyzCountsAsFailure() throws IOException {
        readyz.set(Mode.UP);
        startController(2, 3, Duration.ofSeconds(1), Duration.ofSeconds(1));
        awaitRouter("VIP announced", AnycastControllerBirdTest::announcedPlainly);

        readyz.set(Mode.DOWN);
        long down = System.nanoTime();
        timeUntil(
                down, "readyz 503 DOWN -> VIP withdrawn at router (fall 3, interval 100ms)", () -> !lab.vipAtRouter());
        long thirdDown = readyz.nthServedSince(Mode.DOWN, 3, down);
        assertThat(thirdDown)
                .as("3rd DOWN served before the withdrawal was seen")
                .isPositive();
        assertNoFibEntry();

        readyz.set(Mode.UP);
        long up = System.nanoTime();
        timeUntil(
                up,
                "readyz 200 UP again -> VIP back at router (rise 2, interval 100ms)",
                AnycastControllerBirdTest::announcedPlainly);

        readyz.set(Mode.HANG);
        long hang = System.nanoTime();
        timeUntil(
                hang,
                "readyz hangs (timeout 80ms) -> VIP withdrawn at router (fall 3, interval 100ms)",
                () -> !lab.vipAtRouter());
        assertThat(controller.snapshot().lastProbe().outcome()).isEqualTo(ProbeOutcome.TIMEOUT);
    }

    @Test
    void drainingReannouncesWithGracefulShutdownAndPrependsThenWithdrawsAfterTheDrainDelay() throws IOException {
        readyz.set(Mode.UP);
        startController(2, 3, Duration.ofSeconds(2), Duration.ofSeconds(1));
        awaitRouter("VIP announced", AnycastControllerBirdTest::announcedPlainly);

        readyz.set(Mode.DRAINING);
        long drain = System.nanoTime();
        timeUntil(
                drain,
                "readyz 503 DRAINING -> routes at router (IPv4 and IPv6) carry GRACEFUL_SHUTDOWN",
                AnycastControllerBirdTest::drainedAtRouter);
        for (Family f : Family.values()) {
            assertThat(lab.routeAtRouter(f))
                    .as("%s while draining", f.vipPrefix())
                    .contains("BGP.community: (65535,0)")
                    .contains("BGP.local_pref: 0")
                    .contains("BGP.as_path: 65010 65010 65010 65010");
        }
        // still routed while draining (make before break)
        assertFibViaPop1();
        assertPopProtocols("up");

        long millis = timeUntil(
                drain, "readyz DRAINING -> VIP withdrawn at router (drain delay 2s)", () -> !lab.vipAtRouter());
        assertThat(millis).isGreaterThanOrEqualTo(2000);
        assertThat(controller.snapshot().state()).isEqualTo(PolicyState.DRAINED);
        assertThat(controller.snapshot().recentFlaps()).isZero();
    }

    @Test
    void atStartupAControllerWithdrawsWhatBirdAlreadyAnnouncesUntilTheRelayHasRisen() throws IOException {
        lab.writeState(BirdAction.ANNOUNCE);
        assertThat(lab.birdc(lab.popSocket(), "configure").exitCode()).isZero();
        awaitRouter("BIRD announces on its own", AnycastControllerBirdTest::announcedPlainly);

        readyz.set(Mode.UP);
        long start = System.nanoTime();
        AnycastController c = startController(5, 3, Duration.ofSeconds(1), Duration.ofSeconds(1));
        timeUntil(
                start,
                "controller start with BIRD already announcing -> VIP withdrawn at router",
                () -> !lab.vipAtRouter());
        assertThat(readyz.nthServedSince(Mode.UP, 5, start))
                .as("withdrawn before the relay could have been proven healthy")
                .isEqualTo(-1);
        assertThat(Files.readString(lab.stateFile())).contains("define VIP_STATE = 2;");

        awaitRouter("re-announced after rise", AnycastControllerBirdTest::announcedPlainly);
        assertThat(c.snapshot().state()).isEqualTo(PolicyState.ANNOUNCED);
    }

    @Test
    void birdRestartedUnderTheControllerIsReconnectedAndGivenTheRightState() throws IOException {
        readyz.set(Mode.UP);
        AnycastController c = startController(2, 3, Duration.ofSeconds(1), Duration.ofSeconds(1));
        awaitRouter("VIP announced", AnycastControllerBirdTest::announcedPlainly);
        long connections = c.snapshot().birdConnections();

        // 1. BIRD crashes and comes back while the relay stays healthy: the VIP comes back.
        lab.killPopBird();
        awaitRouter("VIP gone with the PoP's BIRD", () -> !lab.vipAtRouter());
        lab.startPopBird();
        long restarted = System.nanoTime();
        timeUntil(
                restarted,
                "PoP BIRD restarted (relay healthy) -> VIP back at router",
                AnycastControllerBirdTest::announcedPlainly);
        Await.until(WAIT, "controller reconnected", () -> c.snapshot().birdConnections() > connections);

        // 2. BIRD crashes, the relay goes down meanwhile: BIRD comes back withdrawn, and the
        //    controller announces through the new connection once the relay is healthy again.
        lab.killPopBird();
        awaitRouter("VIP gone with the PoP's BIRD", () -> !lab.vipAtRouter());
        readyz.set(Mode.DOWN);
        Await.until(
                WAIT,
                "controller withdrew while BIRD was away",
                () -> c.snapshot().state() == PolicyState.WITHDRAWN
                        && c.snapshot().birdError() != null);
        lab.startPopBird();
        lab.awaitSession();
        Await.until(WAIT, "controller reconnected again", () -> c.snapshot().birdError() == null);
        assertThat(lab.vipAtRouter())
                .as("a BIRD restarted while the relay is down announces nothing")
                .isFalse();
        assertPopProtocols("down");
        readyz.set(Mode.UP);
        awaitRouter("VIP announced through the new connection", AnycastControllerBirdTest::announcedPlainly);
    }

    @Test
    void someoneEnablingTheVipBehindTheControllersBackIsUndone() throws IOException {
        AnycastController c = startController(2, 3, Duration.ofSeconds(1), Duration.ofSeconds(1));
        Await.until(WAIT, "controller settled withdrawn", () -> c.snapshot().applied() == BirdAction.WITHDRAW);
        assertThat(lab.birdc(lab.popSocket(), "enable vip").exitCode()).isZero();
        assertThat(lab.birdc(lab.popSocket(), "enable vip6").exitCode()).isZero();
        awaitRouter(
                "drift corrected: no VIP at the router",
                () -> !lab.vipAtRouter()
                        && lab.popProtocolState(Family.IPV4).contains(" down ")
                        && lab.popProtocolState(Family.IPV6).contains(" down "));
    }

    @Test
    void repeatedFlapsDelayTheReannouncement() throws IOException {
        Duration base = Duration.ofMillis(1500);
        readyz.set(Mode.UP);
        AnycastController c = startController(2, 2, Duration.ofSeconds(1), base);
        awaitRouter("VIP announced", AnycastControllerBirdTest::announcedPlainly);

        readyz.set(Mode.DOWN);
        awaitRouter("flap 1: withdrawn", () -> !lab.vipAtRouter());
        readyz.set(Mode.UP);
        long firstReturn = System.nanoTime();
        long free = timeUntil(
                firstReturn,
                "after 1 flap: readyz UP -> VIP back (no back-off)",
                AnycastControllerBirdTest::announcedPlainly);

        readyz.set(Mode.DOWN);
        awaitRouter("flap 2: withdrawn", () -> !lab.vipAtRouter());
        readyz.set(Mode.UP);
        long secondReturn = System.nanoTime();
        Await.until(
                WAIT, "controller holds the announcement", () -> c.snapshot().state() == PolicyState.HOLDING);
        assertThat(lab.vipAtRouter())
                .as("not announced while the back-off holds")
                .isFalse();
        long held = timeUntil(
                secondReturn,
                "after 2 flaps: readyz UP -> VIP back (back-off 1.5s)",
                AnycastControllerBirdTest::announcedPlainly);
        assertThat(held).isGreaterThanOrEqualTo(base.toMillis());
        assertThat(held).isGreaterThan(free);
        assertThat(c.snapshot().recentFlaps()).isEqualTo(2);
    }

    /** The defaults of {@code bin/relay controller} (interval 500 ms, timeout 400 ms, rise 5, fall 3), timed. */
    @Test
    void defaultSettingsTimed() throws IOException {
        readyz.set(Mode.UP);
        long up = System.nanoTime();
        startController(
                Duration.ofMillis(500), Duration.ofMillis(400), 5, 3, Duration.ofSeconds(1), Duration.ofSeconds(10));
        long announce = timeUntil(
                up,
                "defaults: controller start, readyz UP -> VIP at router (rise 5, interval 500ms)",
                AnycastControllerBirdTest::announcedPlainly);
        assertThat(announce).isGreaterThanOrEqualTo(2000);

        readyz.set(Mode.DOWN);
        long down = System.nanoTime();
        long withdraw = timeUntil(
                down,
                "defaults: readyz 503 DOWN -> VIP withdrawn at router (fall 3, interval 500ms)",
                () -> !lab.vipAtRouter());
        assertThat(withdraw).isGreaterThanOrEqualTo(1000);

        readyz.set(Mode.UP);
        awaitRouter("VIP back", AnycastControllerBirdTest::announcedPlainly);
        readyz.set(Mode.HANG);
        long hang = System.nanoTime();
        timeUntil(
                hang,
                "defaults: readyz hangs -> VIP withdrawn at router (timeout 400ms, fall 3, interval 500ms)",
                () -> !lab.vipAtRouter());
    }
}
