package co.airdress.relay.tunnel.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** Known-answer tests of the primitives, from the RFCs and the CFRG XChaCha draft. */
class CryptoVectorsTest {

    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    private static final byte[] SUNSCREEN =
            ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                            + "for the future, sunscreen would be it.")
                    .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_80_9F = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] AAD = hex("50515253c0c1c2c3c4c5c6c7");
    // RFC 8439 §2.8.2 ciphertext || tag.
    private static final String RFC8439_SEALED = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4"
            + "fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691";

    @Test
    void x25519Rfc7748Section5_2() {
        byte[] out = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(
                hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                0,
                hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
                0,
                out,
                0);
        assertThat(HEX.formatHex(out)).isEqualTo("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        assertThat(Curve25519.dh(
                        hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                        hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
                        out))
                .isTrue();
        assertThat(HEX.formatHex(out)).isEqualTo("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    }

    @Test
    void x25519Rfc7748Section5_2Iterated1000() {
        byte[] k = hex("0900000000000000000000000000000000000000000000000000000000000000");
        byte[] u = k.clone();
        for (int i = 1; i <= 1000; i++) {
            byte[] r = new byte[32];
            org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(k, 0, u, 0, r, 0);
            u = k;
            k = r;
            if (i == 1) {
                assertThat(HEX.formatHex(k))
                        .isEqualTo("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
            }
        }
        assertThat(HEX.formatHex(k)).isEqualTo("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    }

    @Test
    void x25519Rfc7748Section6_1() {
        byte[] alicePriv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPriv = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        assertThat(HEX.formatHex(Curve25519.publicKey(alicePriv)))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(HEX.formatHex(Curve25519.publicKey(bobPriv)))
                .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] shared = new byte[32];
        assertThat(Curve25519.dh(alicePriv, Curve25519.publicKey(bobPriv), shared))
                .isTrue();
        assertThat(HEX.formatHex(shared)).isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    }

    @Test
    void x25519RejectsAllZeroResult() {
        byte[] out = new byte[32];
        // u = 0 and u = 1 are small-order points: the shared secret is all zeros.
        assertThat(Curve25519.dh(
                        hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), new byte[32], out))
                .isFalse();
        byte[] one = new byte[32];
        one[0] = 1;
        assertThat(Curve25519.dh(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), one, out))
                .isFalse();
    }

    @Test
    void chacha20Poly1305Rfc8439Section2_8_2JdkAndBouncyCastle() throws Exception {
        byte[] nonce = hex("070000004041424344454647");
        Cipher jdk = Cipher.getInstance("ChaCha20-Poly1305");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY_80_9F, "ChaCha20"), new IvParameterSpec(nonce));
        jdk.updateAAD(AAD);
        assertThat(HEX.formatHex(jdk.doFinal(SUNSCREEN))).isEqualTo(RFC8439_SEALED);

        ChaCha20Poly1305 bc = new ChaCha20Poly1305();
        bc.init(true, new AEADParameters(new KeyParameter(KEY_80_9F), 128, nonce, AAD));
        byte[] out = new byte[bc.getOutputSize(SUNSCREEN.length)];
        int n = bc.processBytes(SUNSCREEN, 0, SUNSCREEN.length, out, 0);
        bc.doFinal(out, n);
        assertThat(HEX.formatHex(out)).isEqualTo(RFC8439_SEALED);
    }

    @Test
    void transportCipherAgreesWithHandshakeAeadAndRejectsTampering() {
        byte[] key = KEY_80_9F;
        byte[] plain = "an IP packet that needs twelve bytes of pad".getBytes(StandardCharsets.US_ASCII);
        int padding = 16 - plain.length % 16;
        byte[] padded = java.util.Arrays.copyOf(plain, plain.length + padding);
        long counter = 0x0102030405060708L;

        TransportCipher sender = new TransportCipher(key, true);
        ByteBuffer sealed = ByteBuffer.allocate(padded.length + 16);
        sender.seal(counter, ByteBuffer.wrap(plain), padding, sealed);
        assertThat(sealed.array()).isEqualTo(Aead.seal(key, counter, padded, new byte[0]));

        TransportCipher receiver = new TransportCipher(key, false);
        ByteBuffer opened = ByteBuffer.allocate(padded.length);
        assertThat(receiver.open(counter, ByteBuffer.wrap(sealed.array()), opened))
                .isTrue();
        assertThat(opened.array()).isEqualTo(padded);

        byte[] tampered = sealed.array().clone();
        tampered[3] ^= 1;
        assertThat(receiver.open(counter, ByteBuffer.wrap(tampered), ByteBuffer.allocate(padded.length)))
                .isFalse();
        assertThat(receiver.open(counter + 1, ByteBuffer.wrap(sealed.array()), ByteBuffer.allocate(padded.length)))
                .isFalse();
        // A failed open leaves the cipher usable.
        assertThat(receiver.open(counter, ByteBuffer.wrap(sealed.array()), ByteBuffer.allocate(padded.length)))
                .isTrue();
    }

    @Test
    void poly1305MatchesRfc8439Section252() {
        // RFC 8439 §2.5.2: key and the 34-byte message "Cryptographic Forum Research Group".
        byte[] key = HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] message = "Cryptographic Forum Research Group".getBytes(StandardCharsets.US_ASCII);
        Poly1305 poly = new Poly1305();
        poly.init(key, 0);
        poly.updateFinal(message, 0, message.length);
        byte[] tag = new byte[16];
        poly.finish(tag, 0);
        assertThat(HEX.formatHex(tag)).isEqualTo("a8061dc1305136c6c22b8baf0c0127a9");
    }

    @Test
    void poly1305EdgeCasesAgreeWithBouncyCastle() {
        // Keys and messages that drive the limbs to their limits: all-ones r and s, h near 2^130 - 5.
        java.util.Random random = new java.util.Random(1305);
        byte[][] keys = {new byte[32], filled(32, (byte) 0xff), filled(32, (byte) 0x7f), randomBytes(random, 32)};
        byte[][] messages = {
            new byte[0],
            filled(16, (byte) 0xff),
            filled(64, (byte) 0xff),
            filled(17, (byte) 0xfb),
            randomBytes(random, 1420),
            filled(1023, (byte) 0xff)
        };
        for (byte[] key : keys) {
            for (byte[] message : messages) {
                Poly1305 poly = new Poly1305();
                poly.init(key, 0);
                poly.updateFinal(message, 0, message.length);
                byte[] ours = new byte[16];
                poly.finish(ours, 0);
                org.bouncycastle.crypto.macs.Poly1305 bc = new org.bouncycastle.crypto.macs.Poly1305();
                bc.init(new org.bouncycastle.crypto.params.KeyParameter(key));
                bc.update(message, 0, message.length);
                byte[] theirs = new byte[16];
                bc.doFinal(theirs, 0);
                assertThat(ours)
                        .as("key %s, %d-byte message", HEX.formatHex(key), message.length)
                        .isEqualTo(theirs);
            }
        }
    }

    @Test
    void transportCipherAgreesWithBouncyCastleForEveryLengthAndBufferKind() {
        java.util.Random random = new java.util.Random(8439);
        byte[] key = randomBytes(random, 32);
        TransportCipher sender = new TransportCipher(key, true);
        TransportCipher receiver = new TransportCipher(key, false);
        long counter = 0;
        for (int length = 0; length <= 1500; length += (length < 70 ? 1 : 37)) {
            for (int padding : new int[] {0, (16 - length % 16) % 16}) {
                byte[] plain = randomBytes(random, length);
                byte[] padded = java.util.Arrays.copyOf(plain, length + padding);
                byte[] expected = Aead.seal(key, counter, padded, new byte[0]);
                boolean direct = (length & 1) == 1;

                ByteBuffer sealed = direct
                        ? ByteBuffer.allocateDirect(expected.length + 5)
                        : ByteBuffer.allocate(expected.length + 5);
                sealed.position(3);
                ByteBuffer source = direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.wrap(plain);
                if (direct) {
                    source.put(plain).flip();
                }
                sender.seal(counter, source, padding, sealed);
                assertThat(sealed.position()).isEqualTo(3 + expected.length);
                assertThat(source.hasRemaining()).isFalse();
                byte[] got = new byte[expected.length];
                sealed.get(3, got);
                assertThat(got).as("length %d padding %d", length, padding).isEqualTo(expected);

                ByteBuffer opened =
                        direct ? ByteBuffer.allocateDirect(padded.length) : ByteBuffer.allocate(padded.length);
                assertThat(receiver.open(counter, sealed.duplicate().position(3).limit(3 + expected.length), opened))
                        .isTrue();
                byte[] back = new byte[padded.length];
                opened.get(0, back);
                assertThat(back).isEqualTo(padded);

                byte[] tampered = expected.clone();
                tampered[random.nextInt(tampered.length)] ^= (byte) (1 << random.nextInt(8));
                assertThat(receiver.open(counter, ByteBuffer.wrap(tampered), ByteBuffer.allocate(padded.length)))
                        .isFalse();
                counter++;
            }
        }
    }

    private static byte[] filled(int length, byte value) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, value);
        return b;
    }

    private static byte[] randomBytes(java.util.Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    @Test
    void nonceIsFourZeroBytesThenLittleEndianCounter() {
        assertThat(HEX.formatHex(Aead.nonce(0x0807060504030201L))).isEqualTo("000000000102030405060708");
    }

    @Test
    void xchacha20Poly1305DraftIrtfCfrgXchacha03AppendixA3() {
        byte[] nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
        byte[] sealed = Aead.xseal(KEY_80_9F, nonce, SUNSCREEN, AAD);
        assertThat(HEX.formatHex(sealed))
                .isEqualTo("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                        + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3f"
                        + "ac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
                        + "c0875924c1c7987947deafd8780acf49");
        assertThat(Aead.xopen(KEY_80_9F, nonce, sealed, AAD)).isEqualTo(SUNSCREEN);
        sealed[0] ^= 1;
        assertThat(Aead.xopen(KEY_80_9F, nonce, sealed, AAD)).isNull();
    }

    @Test
    void blake2sRfc7693AppendixB() {
        assertThat(HEX.formatHex(Blake2s.hash("abc".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
    }

    /** wireguard-go device/kdf_test.go (MIT), TestKDF: KDF1/2/3 over HMAC-BLAKE2s. */
    @Test
    void kdfWireguardGoVectors() {
        String[][] vectors = {
            {
                "746573742d6b6579",
                "746573742d696e707574",
                "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
                "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
                "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"
            },
            {
                "776972656775617264",
                "776972656775617264",
                "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
                "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
                "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"
            },
            {
                "",
                "",
                "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
                "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
                "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"
            },
        };
        for (String[] v : vectors) {
            byte[][] three = Blake2s.kdf3(hex(v[0]), hex(v[1]));
            assertThat(HEX.formatHex(three[0])).isEqualTo(v[2]);
            assertThat(HEX.formatHex(three[1])).isEqualTo(v[3]);
            assertThat(HEX.formatHex(three[2])).isEqualTo(v[4]);
            byte[][] two = Blake2s.kdf2(hex(v[0]), hex(v[1]));
            assertThat(HEX.formatHex(two[0])).isEqualTo(v[2]);
            assertThat(HEX.formatHex(two[1])).isEqualTo(v[3]);
            assertThat(HEX.formatHex(Blake2s.kdf1(hex(v[0]), hex(v[1])))).isEqualTo(v[2]);
        }
    }
}
