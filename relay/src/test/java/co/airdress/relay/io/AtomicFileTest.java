package co.airdress.relay.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

    @TempDir
    Path dir;

    private Stream<Path> files() throws IOException {
        return Files.list(dir);
    }

    @Test
    void createsAndReplacesTheFileAndLeavesNoTemporaryBehind() throws IOException {
        Path target = dir.resolve("state.conf");
        AtomicFile.write(target, "one\n".getBytes(StandardCharsets.UTF_8));
        assertThat(target).hasContent("one");
        AtomicFile.write(target, "two, longer\n".getBytes(StandardCharsets.UTF_8));
        assertThat(target).hasContent("two, longer");
        AtomicFile.write(target, new byte[0]);
        assertThat(Files.size(target)).isZero();
        try (Stream<Path> files = files()) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void aRelativeTargetIsWrittenWhereItPoints() throws IOException {
        Path target = Path.of("").toAbsolutePath().relativize(dir.resolve("relative.conf"));
        AtomicFile.write(target, "x".getBytes(StandardCharsets.UTF_8));
        assertThat(dir.resolve("relative.conf")).hasContent("x");
    }

    @Test
    void keepsTheTargetsPermissions() throws IOException {
        Path target = dir.resolve("operators.yaml");
        Files.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFile.write(target, "new".getBytes(StandardCharsets.UTF_8));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
                .isEqualTo("rw-r-----");
    }

    @Test
    void aFailedRenameRemovesTheTemporaryAndLeavesTheTargetAsItWas() throws IOException {
        // A non-empty directory where the file should go: the rename over it fails.
        Path target = Files.createDirectory(dir.resolve("state.conf"));
        Files.writeString(target.resolve("inside"), "kept");
        assertThatThrownBy(() -> AtomicFile.write(target, "new".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
        try (Stream<Path> files = files()) {
            assertThat(files).as("no temporary left").containsExactly(target);
        }
        assertThat(target.resolve("inside")).hasContent("kept");
    }

    @Test
    void aMissingDirectoryFailsWithoutCreatingAnything() {
        Path target = dir.resolve("missing").resolve("state.conf");
        assertThatThrownBy(() -> AtomicFile.write(target, new byte[] {1})).isInstanceOf(NoSuchFileException.class);
        assertThat(dir.resolve("missing")).doesNotExist();
    }

    @Test
    void readersSeeTheOldOrTheNewContentNeverAMix() throws Exception {
        Path target = dir.resolve("state.conf");
        String small = "a\n";
        String large = "b".repeat(64 * 1024) + "\n";
        AtomicFile.write(target, small.getBytes(StandardCharsets.UTF_8));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<String> torn = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (writing.get() && torn.get() == null) {
                try {
                    String seen = Files.readString(target);
                    if (!seen.equals(small) && !seen.equals(large)) {
                        torn.set(seen.length() + " characters");
                    }
                    reads.incrementAndGet();
                } catch (IOException e) {
                    torn.set(e.toString());
                }
            }
        });
        try {
            for (int i = 0; i < 200; i++) {
                AtomicFile.write(target, (i % 2 == 0 ? large : small).getBytes(StandardCharsets.UTF_8));
            }
        } finally {
            writing.set(false);
            reader.join();
        }
        assertThat(torn.get()).as("a reader saw neither version").isNull();
        assertThat(reads.get()).isPositive();
    }
}
