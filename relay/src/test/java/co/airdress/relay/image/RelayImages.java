package co.airdress.relay.image;

import co.airdress.relay.testing.ContainerEngine;
import co.airdress.relay.testing.ExternalProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The images the integration tests run, built once per test JVM: {@code docker/build.sh --tag it}
 * (the relay and BIRD, from this module's packaged jars: failsafe runs after {@code package}), the
 * relay with its AOT cache ({@code --class-cache aot}, {@link #RELAY_AOT}), and
 * two releases made from the relay's for the rollout: {@link #NEXT} (another version label) and
 * {@link #BROKEN} (its JVM refuses to start). The engine's layer cache makes a rebuild of unchanged
 * inputs cheap.
 */
public final class RelayImages {

    public static final String RELAY = "localhost/airdress-relay:it";
    public static final String RELAY_AOT = "localhost/airdress-relay:it-aot";
    public static final String NEXT = "localhost/airdress-relay:it-next";
    public static final String BROKEN = "localhost/airdress-relay:it-broken";
    public static final String BIRD = "localhost/airdress-bird:it";

    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    private static boolean built;

    private RelayImages() {}

    /** Builds the five images unless this JVM did already; returns the engine they are in. */
    public static synchronized ContainerEngine build() {
        ContainerEngine engine = ContainerEngine.podman();
        if (built) {
            return engine;
        }
        Path root = ContainerEngine.repositoryRoot();
        for (List<String> args : List.of(
                List.of("--tag", "it"), List.of("--only", "relay", "--class-cache", "aot", "--tag", "it-aot"))) {
            List<String> command = new ArrayList<>(
                    List.of("bash", root.resolve("docker/build.sh").toString()));
            command.addAll(args);
            ExternalProcess.Result r = engine.runCommand(
                    BUILD_TIMEOUT, command, null, Map.of("JAVA_HOME", System.getProperty("java.home")));
            if (r.exitCode() != 0) {
                throw new AssertionError(
                        "docker/build.sh " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.output());
            }
            System.out.println(r.output());
        }
        Path dockerfiles = Path.of("src/test/resources/image").toAbsolutePath();
        for (var release : List.of(List.of(NEXT, "next"), List.of(BROKEN, "broken"))) {
            engine.ok(
                    BUILD_TIMEOUT,
                    "build",
                    "--format",
                    "docker",
                    "--build-arg",
                    "IMAGE=" + RELAY,
                    "-t",
                    release.get(0),
                    dockerfiles.resolve(release.get(1)).toString());
        }
        built = true;
        return engine;
    }
}
