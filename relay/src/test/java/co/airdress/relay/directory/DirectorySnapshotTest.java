package co.airdress.relay.directory;

import static co.airdress.relay.directory.OperatorFixtures.operator;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectorySnapshotTest {

    @TempDir
    Path dir;

    @Test
    void readsBackWhatItWrote() throws Exception {
        Path file = dir.resolve("directory.snapshot");
        List<Operator> ops = List.of(
                operator("alice", 8080, "alice.example.test", "*.alice.example.test"),
                operator("bob", 9080, "bob.example.test"));
        Instant now = Instant.parse("2026-12-05T10:00:00Z");
        DirectorySnapshot.write(file, "t1", 41, ops, now);
        assertThat(DirectorySnapshot.read(file, "t1")).isEqualTo(new DirectorySnapshot.Loaded.Ok(ops, 41, now));
    }

    @Test
    void aMissingFileIsMissingAndAnythingElseWrongIsCorrupt() throws Exception {
        Path file = dir.resolve("directory.snapshot");
        assertThat(DirectorySnapshot.read(file, "t1")).isInstanceOf(DirectorySnapshot.Loaded.Missing.class);

        DirectorySnapshot.write(file, "t1", 3, List.of(operator("alice", 8080, "a.example.test")), Instant.now());
        assertThat(DirectorySnapshot.read(file, "other"))
                .isInstanceOfSatisfying(
                        DirectorySnapshot.Loaded.Corrupt.class,
                        c -> assertThat(c.reason()).startsWith("topic: \"t1\" (expected: \"other\""));

        String good = Files.readString(file);
        Files.writeString(file, good.substring(0, good.length() / 2));
        assertThat(DirectorySnapshot.read(file, "t1"))
                .isInstanceOfSatisfying(
                        DirectorySnapshot.Loaded.Corrupt.class,
                        c -> assertThat(c.reason()).startsWith("not valid JSON"));

        Files.writeString(file, good.replace("a.example.test", "*.com"));
        assertThat(DirectorySnapshot.read(file, "t1"))
                .isInstanceOfSatisfying(
                        DirectorySnapshot.Loaded.Corrupt.class,
                        c -> assertThat(c.reason()).contains("operators[0].hosts[0]"));

        // Two operators claiming one host: the set's rules too.
        DirectorySnapshot.write(
                file,
                "t1",
                3,
                List.of(operator("alice", 8080, "*.a.example.test"), operator("bob", 8080, "x.a.example.test")),
                Instant.now());
        assertThat(DirectorySnapshot.read(file, "t1")).isInstanceOf(DirectorySnapshot.Loaded.Corrupt.class);
    }
}
