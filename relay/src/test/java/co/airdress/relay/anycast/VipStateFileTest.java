package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @ParameterizedTest
    @EnumSource(BirdAction.class)
    void shippedPopConfigParsesWithEveryState(BirdAction action) throws IOException {
        Prerequisites.tool("bird");
        Path source = Files.isDirectory(Path.of("..", "docker", "bird"))
                ? Path.of("..", "docker", "bird")
                : Path.of("docker", "bird");
        Files.copy(source.resolve("pop.conf"), dir.resolve("pop.conf"));
        Files.writeString(
                dir.resolve("pop-site.conf"),
                Files.readString(source.resolve("pop-site.conf.example"))
                        .replace(
                                "/run/bird/vip-state.conf",
                                dir.resolve("vip-state.conf").toString()));
        new VipStateFile(dir.resolve("vip-state.conf")).write(action);
        ExternalProcess.run(
                Duration.ofSeconds(10),
                "bird",
                "-p",
                "-c",
                dir.resolve("pop.conf").toString());
    }
}
