package co.airdress.relay.tunnel.cookie;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.tunnel.crypto.Curve25519;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * wireguard-go device/cookie_test.go (MIT), TestCookieMAC1: MAC1 on arbitrary messages, a cookie
 * reply round trip, then MAC2 with the cookie. The message bytes are that test's data.
 */
class CookieTest {

    private static final long REFRESH = 120_000_000_000L;
    private static final byte[] SRC = {(byte) 192, (byte) 168, 13, 37, 10, 10, 10};

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static final byte[][] MESSAGES = {
        hex("99bba5fc99aa83bd7b00c59a4cb9cf624023f38ed8d062645db28013dacec691"
                + "61d630f132b3a2f47b43b5a7e2b1f56c746bb0cd1f94867bc8fb92ed549b44f5"
                + "c87db78eff49c4e8397c19e0601951f8e48e02f17f1dcc8eb007fff8af7f6682"
                + "83cc7cfa80db8153adf7d80c10e020fde80b3f9015cd93ad0bd50ccc8856e43f"),
        hex("33e72a849fff576c2dc32de1f55c9756b893c27dd441dd7a4a593b50dd7a7a8c"
                + "9b96af553ceb6d0b130b9798b340c3ccb857334 56e8b092b812ed2b9660b9305".replace(" ", "")),
        hex("9b96af553ceb6d0b130b9798b340c3ccb85733456e8b092b812ed2b9660b9305"),
    };
    private static final byte[] REPLY_TRIGGER =
            hex("6dd7c32eb076d8df30657d623ef89ae8e73c64a37848daf525612853793286 9f".replace(" ", "")
                    + "a0279569b6bad0a2f868eaa862f2fd1be0b480e56b3a169e35f6a8f24f9a7be9"
                    + "770bc2b4edbaf922c30397429f797427fef9066e973aa68fc9570a544c644ae2"
                    + "4fa1ce959b23a92b859342b0a553edeb632af16d46cb2f618ce1e8fa6720806d");

    @Test
    void mac1ThenCookieReplyThenMac2() {
        SecureRandom random = new SecureRandom();
        byte[] pk = Curve25519.publicKey(Curve25519.generatePrivateKey(random));
        CookieGenerator generator = new CookieGenerator(pk, REFRESH);
        CookieChecker checker = new CookieChecker(pk, REFRESH);
        long now = 1_000;

        for (byte[] template : MESSAGES) {
            byte[] msg = template.clone();
            generator.addMacs(msg, now);
            assertThat(checker.checkMac1(msg)).isTrue();
            assertThat(checker.checkMac2(msg, SRC, now)).isFalse();
        }

        byte[] trigger = REPLY_TRIGGER.clone();
        generator.addMacs(trigger, now);
        byte[] reply = checker.createReply(trigger, 1377, SRC, now, random);
        assertThat(generator.consumeReply(reply, now)).isTrue();

        for (byte[] template : MESSAGES) {
            byte[] msg = template.clone();
            generator.addMacs(msg, now);
            assertThat(checker.checkMac1(msg)).isTrue();
            assertThat(checker.checkMac2(msg, SRC, now)).isTrue();
            msg[0] ^= 1;
            assertThat(checker.checkMac1(msg)).isFalse();
            assertThat(checker.checkMac2(msg, SRC, now)).isFalse();
        }
    }

    @Test
    void cookieFromAnotherSourceOrAfterRefreshDoesNotCount() {
        SecureRandom random = new SecureRandom();
        byte[] pk = Curve25519.publicKey(Curve25519.generatePrivateKey(random));
        CookieGenerator generator = new CookieGenerator(pk, REFRESH);
        CookieChecker checker = new CookieChecker(pk, REFRESH);
        byte[] msg = MESSAGES[0].clone();
        generator.addMacs(msg, 0);
        assertThat(generator.consumeReply(checker.createReply(msg, 7, SRC, 0, random), 0))
                .isTrue();
        generator.addMacs(msg, 1);
        assertThat(checker.checkMac2(msg, new byte[] {10, 0, 0, 1, 0, 1}, 1)).isFalse();
        assertThat(checker.checkMac2(msg, SRC, 1)).isTrue();
        assertThat(checker.checkMac2(msg, SRC, REFRESH + 1)).isFalse();
    }

    @Test
    void replyForgedWithAnotherKeyIsRejected() {
        SecureRandom random = new SecureRandom();
        byte[] pk = Curve25519.publicKey(Curve25519.generatePrivateKey(random));
        byte[] other = Curve25519.publicKey(Curve25519.generatePrivateKey(random));
        CookieGenerator generator = new CookieGenerator(pk, REFRESH);
        byte[] msg = MESSAGES[0].clone();
        generator.addMacs(msg, 0);
        byte[] forged = new CookieChecker(other, REFRESH).createReply(msg, 7, SRC, 0, random);
        assertThat(generator.consumeReply(forged, 0)).isFalse();
    }
}
