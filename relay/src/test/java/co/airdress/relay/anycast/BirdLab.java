package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A real dual-stack BGP pair in two network namespaces: an upstream router running
 * {@code docker/bird/router-dual-stack.conf} and a PoP running {@code docker/bird/pop-dual-stack.conf},
 * joined by a veth pair with an IPv4 and an IPv6 address on each end: one BGP session per family,
 * each with BFD, carrying the IPv4 VIP ({@code vip}) and the IPv6 VIP ({@code vip6}). The
 * configuration files are the shipped ones, copied to a temporary directory with the site files
 * filled in. The router's view of the VIPs is read with the real {@code birdc}.
 */
final class BirdLab implements AutoCloseable {

    /** The VIP protocols of the dual-stack PoP, as the controller is told them. */
    static final List<String> PROTOCOLS = List.of(Family.IPV4.protocol(), Family.IPV6.protocol());

    private static final Duration BIRDC_TIMEOUT = Duration.ofSeconds(10);
    private static final String POP = "pop-dual-stack.conf";
    private static final String ROUTER = "router-dual-stack.conf";

    private final Path dir;
    private final NetworkNamespace router;
    private final NetworkNamespace pop;
    private final Path birdc;
    private @Nullable ExternalProcess routerBird;
    private @Nullable ExternalProcess popBird;
    private @Nullable ExternalProcess pop2Bird;
    private @Nullable NetworkNamespace pop2;
    private @Nullable NetworkNamespace client;

    private BirdLab(Path dir, NetworkNamespace router, NetworkNamespace pop, Path birdc) {
        this.dir = dir;
        this.router = router;
        this.pop = pop;
        this.birdc = birdc;
    }

    /** Skips (locally) or fails (CI) without root, namespaces or BIRD; otherwise starts both BIRDs. */
    static BirdLab start() throws IOException {
        return start(false);
    }

    /**
     * With {@code twoPops}, also a second PoP (pop2, 10.0.2.2 and 2001:db8:100:2::2, always
     * announcing the same VIPs with no controller; the router prefers pop1 by its lower router id)
     * and a client namespace behind the router (10.0.0.2 and 2001:db8:100::2), with the VIPs on
     * {@code lo} in both PoPs, so that traffic of either family can move.
     */
    static BirdLab start(boolean twoPops) throws IOException {
        Prerequisites.networkNamespaces();
        Prerequisites.tool("bird");
        Path birdc = Prerequisites.tool("birdc");
        Path source = configSource();
        Path dir = Files.createTempDirectory("airdress-bird-");
        for (String f : List.of("pop.conf", POP, "router.conf", ROUTER, "vip-state.conf.initial")) {
            Files.copy(source.resolve(f), dir.resolve(f));
        }
        Files.writeString(
                dir.resolve("pop-site.conf"),
                Files.readString(source.resolve("pop-site.conf.example"))
                        .replace(
                                "/run/bird/vip-state.conf",
                                dir.resolve("vip-state.conf").toString()));
        Files.copy(source.resolve("router-site.conf.example"), dir.resolve("router-site.conf"));
        Files.copy(source.resolve("vip-state.conf.initial"), dir.resolve("vip-state.conf"));
        if (twoPops) {
            // The way router.conf and router-dual-stack.conf say to add a PoP: one more line per family.
            Files.writeString(
                    dir.resolve(ROUTER),
                    Files.readString(dir.resolve(ROUTER))
                            + "protocol bgp pop2 from pop { local 10.0.2.1; neighbor 10.0.2.2 as POP_AS; }\n"
                            + "protocol bgp pop2_6 from pop6 { local 2001:db8:100:2::1;"
                            + " neighbor 2001:db8:100:2::2 as POP_AS; }\n");
            // pop2: its own copy of pop.conf (which includes the site file) under pop2's dual-stack file.
            Files.writeString(
                    dir.resolve("pop2-v4.conf"),
                    Files.readString(dir.resolve("pop.conf"))
                            .replace("include \"pop-site.conf\";", "include \"pop2-site.conf\";"));
            Files.writeString(
                    dir.resolve("pop2.conf"),
                    Files.readString(dir.resolve(POP)).replace("include \"pop.conf\";", "include \"pop2-v4.conf\";"));
            Files.writeString(
                    dir.resolve("pop2-site.conf"),
                    Files.readString(source.resolve("pop-site.conf.example"))
                            .replace("10.255.0.11", "10.255.0.12")
                            .replace("10.0.1.2", "10.0.2.2")
                            .replace("10.0.1.1", "10.0.2.1")
                            .replace("2001:db8:100:1::", "2001:db8:100:2::")
                            .replace(
                                    "/run/bird/vip-state.conf",
                                    dir.resolve("pop2-state.conf").toString()));
            Files.writeString(dir.resolve("pop2-state.conf"), VipStateFile.render(BirdAction.ANNOUNCE));
        }
        NetworkNamespace router = NetworkNamespace.create("ac-rtr");
        NetworkNamespace pop;
        try {
            pop = NetworkNamespace.create("ac-pop");
        } catch (RuntimeException | Error e) {
            router.close();
            throw e;
        }
        BirdLab lab = new BirdLab(dir, router, pop, birdc);
        try {
            // Interface names are per namespace, so fixed names cannot collide with other runs.
            router.link("r-p1", "10.0.1.1/24", pop, "p1-r", "10.0.1.2/24");
            router.addAddress("r-p1", "2001:db8:100:1::1/64");
            pop.addAddress("p1-r", "2001:db8:100:1::2/64");
            if (twoPops) {
                lab.addPop2AndClient();
            }
            lab.startRouterBird();
            lab.startPopBird();
            lab.awaitSession();
            if (twoPops) {
                lab.startPop2Bird();
            }
        } catch (RuntimeException | Error e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void addPop2AndClient() {
        NetworkNamespace p2 = NetworkNamespace.create("ac-pop2");
        pop2 = p2;
        NetworkNamespace c = NetworkNamespace.create("ac-cli");
        client = c;
        router.link("r-p2", "10.0.2.1/24", p2, "p2-r", "10.0.2.2/24");
        router.addAddress("r-p2", "2001:db8:100:2::1/64");
        p2.addAddress("p2-r", "2001:db8:100:2::2/64");
        router.link("r-c", "10.0.0.1/24", c, "c-r", "10.0.0.2/24");
        router.addAddress("r-c", "2001:db8:100::1/64");
        c.addAddress("c-r", "2001:db8:100::2/64");
        router.exec("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
        c.exec("ip", "route", "add", "default", "via", "10.0.0.1");
        c.exec("ip", "-6", "route", "add", "default", "via", "2001:db8:100::1");
        for (NetworkNamespace p : List.of(pop, p2)) {
            int n = p == pop ? 1 : 2;
            p.addAddress("lo", Family.IPV4.vipPrefix());
            p.addAddress("lo", Family.IPV6.vipPrefix());
            p.exec("ip", "route", "add", "10.0.0.0/24", "via", "10.0." + n + ".1");
            p.exec("ip", "-6", "route", "add", "2001:db8:100::/64", "via", "2001:db8:100:" + n + "::1");
        }
    }

    private void startPop2Bird() {
        NetworkNamespace p2 = requireNonNull(pop2, "pop2");
        pop2Bird = p2.start(
                "bird-pop2",
                "bird",
                "-f",
                "-c",
                dir.resolve("pop2.conf").toString(),
                "-s",
                dir.resolve("pop2.ctl").toString(),
                "-P",
                dir.resolve("pop2.pid").toString());
        awaitSocket(pop2Bird, dir.resolve("pop2.ctl"));
        awaitSessions("pop2", "pop2_6");
    }

    NetworkNamespace pop() {
        return pop;
    }

    NetworkNamespace pop2() {
        return requireNonNull(pop2, "pop2");
    }

    NetworkNamespace client() {
        return requireNonNull(client, "client");
    }

    private static Path configSource() {
        return repoFile("docker/bird/" + POP).getParent();
    }

    /** A file of the repository by its path from the root, whether the build runs in the module or the root. */
    static Path repoFile(String path) {
        for (Path candidate : List.of(Path.of("..").resolve(path), Path.of(path))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new AssertionError(path + " not found from " + Path.of("").toAbsolutePath());
    }

    Path popSocket() {
        return dir.resolve("pop.ctl");
    }

    Path routerSocket() {
        return dir.resolve("router.ctl");
    }

    Path stateFile() {
        return dir.resolve("vip-state.conf");
    }

    private void startRouterBird() {
        routerBird = router.start(
                "bird-router",
                "bird",
                "-f",
                "-c",
                dir.resolve(ROUTER).toString(),
                "-s",
                routerSocket().toString(),
                "-P",
                dir.resolve("router.pid").toString());
        awaitSocket(routerBird, routerSocket());
    }

    void startPopBird() {
        popBird = pop.start(
                "bird-pop",
                "bird",
                "-f",
                "-c",
                dir.resolve(POP).toString(),
                "-s",
                popSocket().toString(),
                "-P",
                dir.resolve("pop.pid").toString());
        awaitSocket(popBird, popSocket());
    }

    /** SIGKILL, as a crash would: the kernel closes the BGP session at once. */
    void killPopBird() {
        ExternalProcess p = popBird;
        if (p != null) {
            p.process().destroyForcibly();
            try {
                p.process().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            popBird = null;
        }
    }

    private void awaitSocket(ExternalProcess bird, Path socket) {
        Await.until(Duration.ofSeconds(10), bird + " to answer on " + socket, () -> {
            if (!bird.process().isAlive()) {
                throw new AssertionError(bird + " exited: " + bird.output());
            }
            return Files.exists(socket) && birdc(socket, "show status").exitCode() == 0;
        });
    }

    /** Both of pop1's sessions (IPv4 and IPv6) Established at the router. */
    void awaitSession() {
        awaitSessions("pop1", "pop1_6");
    }

    private void awaitSessions(String... protocols) {
        for (String protocol : protocols) {
            Await.until(
                    Duration.ofSeconds(20),
                    "BGP session " + protocol + " Established at the router",
                    () -> birdc(routerSocket(), "show protocols " + protocol)
                            .output()
                            .contains("Established"));
        }
    }

    ExternalProcess.Result birdc(Path socket, String command) {
        String[] words = command.split(" ");
        String[] cmd = new String[3 + words.length];
        cmd[0] = birdc.toString();
        cmd[1] = "-s";
        cmd[2] = socket.toString();
        System.arraycopy(words, 0, cmd, 3, words.length);
        return ExternalProcess.runAllowingFailure(BIRDC_TIMEOUT, cmd);
    }

    /** The router's {@code show route <VIP> all} for that family's VIP, or null when it has no route to it. */
    @Nullable
    String routeAtRouter(Family family) {
        ExternalProcess.Result r = birdc(routerSocket(), "show route " + family.vipPrefix() + " all");
        if (r.exitCode() != 0 || !r.output().contains(family.vipPrefix())) {
            return null;
        }
        return r.output();
    }

    /** Both families' routes, for failure messages. */
    String routesAtRouter() {
        return routeAtRouter(Family.IPV4) + "\n" + routeAtRouter(Family.IPV6);
    }

    /** Whether the router has a route to either VIP. */
    boolean vipAtRouter() {
        return routeAtRouter(Family.IPV4) != null || routeAtRouter(Family.IPV6) != null;
    }

    /** The router's kernel FIB entry for that family's VIP (empty when none). */
    String fibAtRouter(Family family) {
        return router.exec("ip", family == Family.IPV6 ? "-6" : "-4", "route", "show", family.vipPrefix());
    }

    /** What the PoP's BIRD says about that family's VIP protocol: {@code up}/{@code down}. */
    String popProtocolState(Family family) {
        return birdc(popSocket(), "show protocols " + family.protocol()).output();
    }

    void writeState(BirdAction action) {
        try {
            new VipStateFile(stateFile()).write(action);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String logs() {
        return "router bird: " + (routerBird == null ? "-" : routerBird.output()) + "\npop bird: "
                + (popBird == null ? "-" : popBird.output());
    }

    @Override
    public void close() {
        killPopBird();
        if (pop2Bird != null) {
            pop2Bird.close();
        }
        if (routerBird != null) {
            routerBird.close();
        }
        if (client != null) {
            client.close();
        }
        if (pop2 != null) {
            pop2.close();
        }
        pop.close();
        router.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }
}
