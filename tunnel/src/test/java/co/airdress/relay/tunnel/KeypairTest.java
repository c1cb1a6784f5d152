package co.airdress.relay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.tunnel.noise.Handshake.SessionKeys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** A keypair zeroes the keys it was given at once, and its own copies when it is destroyed. */
class KeypairTest {

    @Test
    void theDerivedKeysAreZeroedOnceHeldAndTheKeypairsOnDestroy() {
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        TestPackets.deterministic(5).nextBytes(a);
        TestPackets.deterministic(6).nextBytes(b);
        Keypair sender = new Keypair(null, new SessionKeys(a.clone(), b.clone(), true, 1, 2), 0);
        SessionKeys keys = new SessionKeys(b.clone(), a.clone(), false, 2, 1);
        Keypair receiver = new Keypair(null, keys, 0);
        assertThat(keys.sendKey()).containsOnly(0);
        assertThat(keys.receiveKey()).containsOnly(0);

        ByteBuf plain = Unpooled.wrappedBuffer(TestPackets.ipv4("10.0.0.1", "10.0.0.2", 10));
        ByteBuf sealed = sender.seal(plain, 1420, UnpooledByteBufAllocator.DEFAULT);
        ByteBuf opened = receiver.open(sealed, 0, UnpooledByteBufAllocator.DEFAULT);
        assertThat(opened).isNotNull();
        opened.release();

        receiver.destroy();
        assertThat(receiver.sender.isDestroyed()).isTrue();
        assertThat(receiver.receiver.isDestroyed()).isTrue();
        assertThat(receiver.open(sealed, 0, UnpooledByteBufAllocator.DEFAULT))
                .as("a destroyed keypair opens nothing")
                .isNull();
        sender.destroy();
        assertThatThrownBy(() -> sender.seal(plain, 1420, UnpooledByteBufAllocator.DEFAULT))
                .isInstanceOf(IllegalStateException.class);
        sealed.release();
        plain.release();
    }
}
