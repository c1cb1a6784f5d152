package co.airdress.relay.tunnel.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The rule for a file that holds a secret (the WireGuard private key, the management token), the
 * one ssh applies to private keys: neither group nor others may have any permission on it. A file
 * that breaks it is refused, never read, so a secret that others could read is not put to use.
 */
public final class SecretFile {

    private SecretFile() {}

    /**
     * Why {@code file} may not hold a secret, naming the file and its mode; null when only its owner
     * has permissions on it. Also null when the mode cannot be read (no such file, no POSIX
     * permissions): reading the file then fails, or succeeds, on its own terms.
     */
    public static @Nullable String problem(Path file) {
        requireNonNull(file, "file");
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
        int mode = mode(permissions);
        if ((mode & 077) == 0) {
            return null;
        }
        return file + " has mode " + String.format("%04o", mode)
                + ": group or others may access it (expected: its owner only, e.g. chmod 600 " + file + ")";
    }

    /** The permission bits as {@code ls -l} shows them, as an octal number (0644). */
    private static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            // OWNER_READ .. OTHERS_EXECUTE are declared from the highest bit (0400) to the lowest (0001).
            mode |= 0400 >>> p.ordinal();
        }
        return mode;
    }
}
