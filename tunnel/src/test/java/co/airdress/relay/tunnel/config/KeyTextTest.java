package co.airdress.relay.tunnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.tunnel.WireGuardKey;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wg's key files. The {@code wireguard:} section itself is read and tested in relay/config. */
class KeyTextTest {

    // A key printed by 'wg genkey' (wireguard-tools 1.0.20210914).
    private static final String PRIVATE = "+L0RQykaxg5VOFHrjFFqTOscnW2UxofFcCWEHqXyelY=";

    @Test
    void readsKeyFilesInWgFormat(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wg.key");
        Files.writeString(file, PRIVATE + "\n");
        WireGuardKey key = KeyText.readFile(file);
        assertThat(key.toBase64()).isEqualTo(PRIVATE);
        assertThat(key.bytes()).hasSize(32);

        Files.writeString(file, "not a key\n");
        assertThatThrownBy(() -> KeyText.readFile(file))
                .hasMessageStartingWith("private key file " + file + ": a 9-character value");
        Files.writeString(file, PRIVATE.replace('y', '*'));
        assertThatThrownBy(() -> KeyText.readFile(file)).hasMessageContaining("not base64");
    }
}
