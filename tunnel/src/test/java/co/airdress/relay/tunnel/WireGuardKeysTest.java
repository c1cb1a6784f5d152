package co.airdress.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Our key functions against the real {@code wg genkey} / {@code wg pubkey}. */
class WireGuardKeysTest {

    private static String wgPubkey(String privateBase64) {
        return ExternalProcess.run(
                        Duration.ofSeconds(10), "sh", "-c", "printf '%s\\n' \"$1\" | wg pubkey", "sh", privateBase64)
                .strip();
    }

    @Test
    void ourPublicKeyMatchesWgPubkeyForOurAndWgsPrivateKeys() {
        Prerequisites.tool("wg");
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 5; i++) {
            WireGuardKey ours = WireGuardKeys.generatePrivateKey(random);
            assertThat(WireGuardKeys.publicKey(ours).toBase64()).isEqualTo(wgPubkey(ours.toBase64()));

            WireGuardKey theirs = WireGuardKey.fromBase64(ExternalProcess.run(Duration.ofSeconds(10), "wg", "genkey"));
            assertThat(WireGuardKeys.publicKey(theirs).toBase64()).isEqualTo(wgPubkey(theirs.toBase64()));
        }
    }

    @Test
    void unclampedPrivateKeyIsClampedLikeWg() {
        Prerequisites.tool("wg");
        byte[] raw = new byte[32];
        java.util.Arrays.fill(raw, (byte) 0xff);
        WireGuardKey unclamped = WireGuardKey.of(raw);
        assertThat(WireGuardKeys.publicKey(unclamped).toBase64()).isEqualTo(wgPubkey(unclamped.toBase64()));
    }

    @Test
    void generatedPrivateKeysAreClampedAndPrintAsWgDoes() {
        WireGuardKey key = WireGuardKeys.generatePrivateKey(new SecureRandom());
        byte[] bytes = key.bytes();
        assertThat(bytes[0] & 7).isZero();
        assertThat(bytes[31] & 0x80).isZero();
        assertThat(bytes[31] & 0x40).isEqualTo(0x40);
        assertThat(key.toBase64()).hasSize(44).endsWith("=");
        assertThat(WireGuardKey.fromBase64(key.toBase64())).isEqualTo(key);
        assertThat(key.toString()).doesNotContain(key.toBase64());
    }

    @Test
    void toStringRevealsNoPartOfTheKey() {
        WireGuardKey key = WireGuardKeys.generatePrivateKey(new SecureRandom());
        String base64 = key.toBase64();
        String text = key.toString();
        // No run of 4 base64 characters of the key (3 bytes) appears, in base64 or hex.
        for (int i = 0; i + 4 <= base64.length() - 1; i++) {
            assertThat(text).doesNotContain(base64.substring(i, i + 4));
        }
        String hex = java.util.HexFormat.of().formatHex(key.bytes());
        for (int i = 0; i + 6 <= hex.length(); i += 2) {
            assertThat(text).doesNotContain(hex.substring(i, i + 6));
        }
        // Still tells keys apart, and is stable for one key.
        assertThat(text)
                .isEqualTo(WireGuardKey.fromBase64(base64).toString())
                .isNotEqualTo(
                        WireGuardKeys.generatePrivateKey(new SecureRandom()).toString())
                .matches("WireGuardKey\\[sha256:[0-9a-f]{8}]");
    }

    @Test
    void malformedKeysAreRejected() {
        assertThatThrownBy(() -> WireGuardKey.fromBase64("not base64!"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected");
        assertThatThrownBy(() -> WireGuardKey.fromBase64(Base64.getEncoder().encodeToString(new byte[31])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("31");
    }
}
