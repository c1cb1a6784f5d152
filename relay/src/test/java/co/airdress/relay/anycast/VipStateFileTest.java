package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VipStateFileTest {

    @TempDir
    Path dir;

    @Test
    void rendersBothConstantsForEachAction() {
        assertThat(VipStateFile.render(BirdAction.ANNOUNCE))
                .contains("define VIP_STATE = 0;\n")
                .contains("define VIP_DISABLED = 0;\n");
        assertThat(VipStateFile.render(BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN))
                .contains("define VIP_STATE = 1;\n")
                .contains("define VIP_DISABLED = 0;\n");
        assertThat(VipStateFile.render(BirdAction.WITHDRAW))
                .contains("define VIP_STATE = 2;\n")
                .contains("define VIP_DISABLED = 1;\n");
    }

    @Test
    void replacesTheFileAndLeavesNoTemporaryBehind() throws IOException {
        Path path = dir.resolve("vip-state.conf");
        VipStateFile file = new VipStateFile(path);
        file.write(BirdAction.ANNOUNCE);
        file.write(BirdAction.WITHDRAW);
        assertThat(Files.readString(path)).isEqualTo(VipStateFile.render(BirdAction.WITHDRAW));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(path);
        }
    }

    /**
     * Every shipped BIRD config parses ({@code bird -p}) with the controller's state file in each
     * state: the IPv4-only PoP ({@code pop.conf} with a site file that has no IPv6 values, as
     * before dual stack), the dual-stack PoP, and both router configs.
     */
    @ParameterizedTest
    @EnumSource(BirdAction.class)
    void shippedBirdConfigsParseWithEveryState(BirdAction action) throws IOException {
        Prerequisites.tool("bird");
        Path source = Files.isDirectory(Path.of("..", "docker", "bird"))
                ? Path.of("..", "docker", "bird")
                : Path.of("docker", "bird");
        for (String f : List.of("pop.conf", "pop-dual-stack.conf", "router.conf", "router-dual-stack.conf")) {
            Files.copy(source.resolve(f), dir.resolve(f));
        }
        Files.copy(source.resolve("router-site.conf.example"), dir.resolve("router-site.conf"));
        String site = Files.readString(source.resolve("pop-site.conf.example"))
                .replace(
                        "/run/bird/vip-state.conf",
                        dir.resolve("vip-state.conf").toString());
        new VipStateFile(dir.resolve("vip-state.conf")).write(action);

        String ipv4Only = site.lines()
                .filter(l -> !l.contains("VIP6") && !l.contains("UPLINK6"))
                .collect(Collectors.joining("\n", "", "\n"));
        assertThat(ipv4Only).doesNotContain("2001:db8");
        Files.writeString(dir.resolve("pop-site.conf"), ipv4Only);
        parse(dir.resolve("pop.conf"));

        Files.writeString(dir.resolve("pop-site.conf"), site);
        parse(dir.resolve("pop.conf"));
        parse(dir.resolve("pop-dual-stack.conf"));
        parse(dir.resolve("router.conf"));
        parse(dir.resolve("router-dual-stack.conf"));
    }

    private static void parse(Path config) {
        ExternalProcess.run(Duration.ofSeconds(10), "bird", "-p", "-c", config.toString());
    }
}
