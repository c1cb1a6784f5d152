package co.airdress.relay.lab;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.image.RelayImages;
import co.airdress.relay.testing.ContainerEngine;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rolling upgrade in the lab: {@code lab/run.sh --check-rollout=NEXT,BROKEN} runs both PoPs'
 * relays and controllers from the image (in the PoPs' namespaces, WireGuard to the operator, flow
 * rescue on, the operator directory on the lab's Kafka broker), rolls {@link RelayImages#NEXT} out with {@code lab/rollout.sh} (drain, replace, gates:
 * readyz, announced, a request through the VIP answered by the PoP) while a client sends an HTTP and
 * a TLS request through the VIP every 50 ms, then rolls {@link RelayImages#BROKEN}, which must stop
 * at pop1's readyz gate and put NEXT back. The script's own check requires zero failed requests in
 * both rolls, each PoP on the image it should run, and both healthy at the end; this test requires
 * its exit 0 and that nothing is left behind.
 */
class LabRolloutIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(12);
    private static final List<String> NAMESPACES =
            List.of("lab-client", "lab-router", "lab-pop1", "lab-pop2", "lab-op", "lab-core");

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void rollsANewImageAndRollsBackABrokenOneWithoutAFailedRequest() throws Exception {
        Prerequisites.networkNamespaces();
        for (String tool : List.of("bird", "birdc", "python3", "curl", "openssl", "wireguard-go", "wg", "nft")) {
            Prerequisites.tool(tool);
        }
        ContainerEngine engine = RelayImages.build();
        Prerequisites.require(labNamespaces().isEmpty(), "no lab running (stop lab/run.sh first)");

        Path script = ContainerEngine.repositoryRoot().resolve("lab/run.sh");
        Path dir = Files.createDirectories(Path.of("target", "lab-rollout").toAbsolutePath());
        Path output = dir.resolve("run.out");
        ProcessBuilder pb = engine.processBuilder(List.of(
                        "bash",
                        script.toString(),
                        "--image=" + RelayImages.RELAY,
                        "--check-rollout=" + RelayImages.NEXT + "," + RelayImages.BROKEN))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().put("LAB_DIR", dir.resolve("state").toString());
        Process lab = pb.start();
        boolean finished = lab.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            lab.destroy(); // SIGTERM: the script's trap removes its containers and namespaces
            if (!lab.waitFor(60, TimeUnit.SECONDS)) {
                lab.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        System.out.println(out);

        assertThat(finished).as("finished within %s; output:\n%s", TIMEOUT, out).isTrue();
        assertThat(lab.exitValue()).as("exit status; output:\n%s", out).isZero();
        assertThat(out).contains("CHECK PASSED");
        assertThat(out).contains("rollout: exit 0: every PoP runs " + RelayImages.NEXT);
        assertThat(out).contains("rollout: gate readyz failed on pop1");
        assertThat(out).contains("rollout: rolled back pop1 to " + RelayImages.NEXT);
        assertThat(labNamespaces()).as("namespaces left behind").isEmpty();
        String containers = engine.ok(Duration.ofSeconds(30), "ps", "-a", "--format", "{{.Names}}");
        assertThat(containers).as("lab containers left behind").doesNotContain("lab-relay-pop", "lab-controller-pop");
    }

    private static List<String> labNamespaces() {
        String list = ExternalProcess.run(Duration.ofSeconds(10), "ip", "netns", "list");
        return list.lines()
                .map(l -> l.split("\\s+")[0])
                .filter(NAMESPACES::contains)
                .toList();
    }
}
