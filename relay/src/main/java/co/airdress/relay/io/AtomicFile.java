package co.airdress.relay.io;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a file's content so that readers, and the file system after a crash, see the old
 * content or the new one, never a mix or an empty file. The bytes go to a temporary file in the
 * target's directory (a rename is atomic only within one file system), which is fsynced, renamed
 * over the target, and then the directory is fsynced, because the rename itself is durable only
 * then.
 *
 * <p>Every failure is thrown, and the temporary file is removed on the way out: the target then
 * holds its old content, except when only the final fsync of the directory failed (the new content
 * is in place but might not survive a crash). The new file keeps the target's POSIX permissions;
 * a file that did not exist before gets the process's defaults (its umask), as any new file does.
 */
public final class AtomicFile {

    private static final Logger log = LoggerFactory.getLogger(AtomicFile.class);

    private AtomicFile() {}

    /** Replaces {@code target}'s content with {@code content}, atomically and durably. */
    public static void write(Path target, byte[] content) throws IOException {
        requireNonNull(target, "target");
        requireNonNull(content, "content");
        Path absolute = target.toAbsolutePath();
        Path directory = requireNonNull(absolute.getParent(), "target.parent");
        Path temporary = createTemporary(directory, absolute.getFileName().toString());
        try {
            copyPermissions(absolute, temporary);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true); // the data is on disk before the name points at it
            }
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * A new, empty file {@code .<name>.<random>.tmp} beside the target: hidden from globs such as
     * {@code *.yaml}, and never one another writer (or a crashed earlier process) is using.
     */
    private static Path createTemporary(Path directory, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix =
                    HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            Path temporary = directory.resolve("." + name + "." + suffix + ".tmp");
            try {
                // CREATE_NEW without attributes: the permissions a new file gets from the umask.
                Files.newByteChannel(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
                        .close();
                return temporary;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 9) {
                    throw e;
                }
            }
        }
    }

    private static void copyPermissions(Path from, Path to) {
        PosixFileAttributeView source = Files.getFileAttributeView(from, PosixFileAttributeView.class);
        PosixFileAttributeView destination = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (source == null || destination == null || !Files.exists(from)) {
            return;
        }
        try {
            destination.setPermissions(source.readAttributes().permissions());
        } catch (IOException e) {
            log.debug("cannot copy the permissions of {} (keeping the new file's)", from, e);
        }
    }
}
