package co.airdress.relay.tunnel.noise;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HandshakeConstantsTest {

    @Test
    void initialChainingKeyAndHashAreTheProtocolConstants() {
        // Ci = HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"), Hi = HASH(Ci || "WireGuard v1 zx2c4 Jason@zx2c4.com")
        assertThat(HexFormat.of().formatHex(Handshake.INITIAL_CHAINING_KEY))
                .isEqualTo("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
        assertThat(HexFormat.of().formatHex(Handshake.INITIAL_HASH))
                .isEqualTo("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
    }

    @Test
    void tai64nIsLabelledSecondsThenWhitenedNanosBigEndian() {
        byte[] stamp = Tai64n.of(Instant.ofEpochSecond(1_700_000_000L, 123_456_789));
        assertThat(HexFormat.of().formatHex(stamp)).isEqualTo("400000006553f10a" + "07000000");
        assertThat(Tai64n.toInstant(stamp)).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 0x07000000));
        assertThat(Tai64n.after(Tai64n.of(Instant.ofEpochSecond(1_700_000_001L)), stamp))
                .isTrue();
        assertThat(Tai64n.after(stamp, stamp)).isFalse();
    }
}
