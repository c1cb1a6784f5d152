package co.airdress.relay.tunnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.tunnel.WireGuardKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wg's key files. The {@code wireguard:} section itself is read and tested in relay/config. */
class KeyTextTest {

    // A key printed by 'wg genkey' (wireguard-tools 1.0.20210914).
    private static final String PRIVATE = "+L0RQykaxg5VOFHrjFFqTOscnW2UxofFcCWEHqXyelY=";

    @Test
    void readsKeyFilesInWgFormat(@TempDir Path dir) throws Exception {
        Path file = SecretFiles.write(dir.resolve("wg.key"), PRIVATE + "\n");
        WireGuardKey key = KeyText.readFile(file);
        assertThat(key.toBase64()).isEqualTo(PRIVATE);
        assertThat(key.bytes()).hasSize(32);

        SecretFiles.write(file, "not a key\n");
        assertThatThrownBy(() -> KeyText.readFile(file))
                .hasMessageStartingWith("private key file " + file + ": a 9-character value");
        SecretFiles.write(file, PRIVATE.replace('y', '*'));
        assertThatThrownBy(() -> KeyText.readFile(file)).hasMessageContaining("not base64");
    }

    @Test
    void refusesAKeyFileThatGroupOrOthersMayAccess(@TempDir Path dir) throws Exception {
        Path file = SecretFiles.write(dir.resolve("wg.key"), PRIVATE + "\n");
        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "r--------"}) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            if (mode.equals("r--------")) {
                assertThat(KeyText.readFile(file).toBase64()).isEqualTo(PRIVATE);
                continue;
            }
            String octal = String.format("%04o", Integer.parseInt(toBits(mode), 2));
            assertThatThrownBy(() -> KeyText.readFile(file))
                    .as(mode)
                    .isInstanceOf(IOException.class)
                    .hasMessage("private key file " + file + " has mode " + octal
                            + ": group or others may access it (expected: its owner only, e.g. chmod 600 " + file
                            + ")");
        }
    }

    private static String toBits(String mode) {
        StringBuilder bits = new StringBuilder();
        for (char c : mode.toCharArray()) {
            bits.append(c == '-' ? '0' : '1');
        }
        return bits.toString();
    }
}
