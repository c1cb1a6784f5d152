package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.anycast.BirdReplyDecoder.Step;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BirdReplyDecoderTest {

    /** Replies captured raw from BIRD 2.0.12's control socket on the development machine (Debian bird2). */
    private static final String[] CAPTURED = {
        "0001 BIRD 2.0.12 ready.\n",
        "2002-Name       Proto      Table      State  Since         Info\n"
                + "1002-vip        Static     master4    down   02:46:00.832  \n0000 \n",
        "0011-vip: enabled\n0000 \n",
        "0002-Reading configuration from pop.conf\n0003 Reconfigured\n",
        "0002-Reading configuration from pop.conf\n0004 Reconfiguration in progress\n",
        "0002-Reading configuration from pop.conf\n8002 /tmp/anyx/state.conf:1:20 syntax error, unexpected ';'\n",
        "9001 syntax error, unexpected CF_SYM_UNDEFINED\n",
        "1000-BIRD 2.0.12\n1011-Router ID is 10.255.0.11\n Hostname is vm\n Current server time is 2026-11-22 02:46:04.638\n"
                + "0013 Daemon is up and running\n",
        "2002-Name       Proto      Table      State  Since         Info\n"
                + "1002-vip        Static     master4    down   02:46:03.737  \n1006-  Channel ipv4\n"
                + "     State:          DOWN\n     Table:          master4\n \n0000 \n",
    };

    private static List<BirdReply> decodeAll(BirdReplyDecoder decoder, List<byte[]> chunks) {
        List<BirdReply> replies = new ArrayList<>();
        for (byte[] chunk : chunks) {
            ByteBuffer in = ByteBuffer.wrap(chunk);
            while (in.hasRemaining()) {
                Step step = decoder.decode(in);
                assertThat(step).isNotInstanceOf(Step.Malformed.class);
                if (step instanceof Step.Complete c) {
                    replies.add(c.reply());
                }
            }
        }
        return replies;
    }

    private static BirdReply decodeWhole(String reply) {
        List<BirdReply> r = decodeAll(new BirdReplyDecoder(), List.of(reply.getBytes(StandardCharsets.UTF_8)));
        assertThat(r).hasSize(1);
        return r.getFirst();
    }

    @Test
    void decodesCapturedRepliesByCode() {
        assertThat(decodeWhole(CAPTURED[0]).finalCode()).isEqualTo(BirdReply.WELCOME);
        assertThat(decodeWhole(CAPTURED[1]).protocolState("vip")).contains("down");
        assertThat(decodeWhole(CAPTURED[2]).has(BirdReply.ENABLED)).isTrue();
        assertThat(decodeWhole(CAPTURED[3]).finalCode()).isEqualTo(BirdReply.RECONFIGURED);
        assertThat(decodeWhole(CAPTURED[4]).finalCode()).isEqualTo(BirdReply.RECONFIGURATION_IN_PROGRESS);
        assertThat(decodeWhole(CAPTURED[5]).isError()).isTrue();
        assertThat(decodeWhole(CAPTURED[6]).finalCode()).isEqualTo(9001);
        BirdReply status = decodeWhole(CAPTURED[7]);
        assertThat(status.lines()).extracting(BirdReply.Line::code).containsExactly(1000, 1011, 1011, 1011, 13);
        assertThat(status.lines().get(2).text()).isEqualTo("Hostname is vm");
        assertThat(decodeWhole(CAPTURED[8]).protocolState("vip")).contains("down");
    }

    @Test
    void everySplitPointGivesTheSameReplies() {
        String all = String.join("", CAPTURED);
        byte[] bytes = all.getBytes(StandardCharsets.UTF_8);
        List<BirdReply> expected = decodeAll(new BirdReplyDecoder(), List.of(bytes));
        assertThat(expected).hasSize(CAPTURED.length);
        for (int cut = 0; cut <= bytes.length; cut++) {
            byte[] a = new byte[cut];
            byte[] b = new byte[bytes.length - cut];
            System.arraycopy(bytes, 0, a, 0, cut);
            System.arraycopy(bytes, cut, b, 0, b.length);
            assertThat(decodeAll(new BirdReplyDecoder(), List.of(a, b)))
                    .as("cut at %d", cut)
                    .isEqualTo(expected);
        }
        List<byte[]> single = new ArrayList<>();
        for (byte x : bytes) {
            single.add(new byte[] {x});
        }
        assertThat(decodeAll(new BirdReplyDecoder(), single)).isEqualTo(expected);
    }

    @Test
    void spontaneousLinesAreSkipped() {
        BirdReply r = decodeWhole("+ 2026-11-22 log line\n0011-vip: enabled\n+another\n0000 \n");
        assertThat(r.lines()).extracting(BirdReply.Line::code).containsExactly(11, 0);
    }

    @Test
    void malformedInputIsReportedNotThrown() {
        assertThat(new BirdReplyDecoder()
                        .decode(ByteBuffer.wrap(" orphan continuation\n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(Step.Malformed.class);
        assertThat(new BirdReplyDecoder().decode(ByteBuffer.wrap("HTTP/1.1 200 OK\n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(Step.Malformed.class);
        assertThat(new BirdReplyDecoder().decode(ByteBuffer.wrap("0000\n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(Step.Malformed.class);
        assertThat(new BirdReplyDecoder().decode(ByteBuffer.wrap("12a4 x\n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(Step.Malformed.class);
    }

    @Test
    void endlessRepliesAreCutOffAtTheBound() {
        BirdReplyDecoder decoder = new BirdReplyDecoder();
        byte[] row = "1002-vip        Static     master4    up     02:46:03.737  \n".getBytes(StandardCharsets.UTF_8);
        Step last = null;
        for (int i = 0; i <= BirdReplyDecoder.MAX_REPLY_BYTES / row.length + 1; i++) {
            last = decoder.decode(ByteBuffer.wrap(row));
            if (!(last instanceof Step.NeedMore)) {
                break;
            }
        }
        assertThat(last).isInstanceOf(Step.Malformed.class);
        assertThat(((Step.Malformed) last).reason()).contains("longer than");
        byte[] noNewline = new byte[BirdReplyDecoder.MAX_REPLY_BYTES + 1];
        assertThat(new BirdReplyDecoder().decode(ByteBuffer.wrap(noNewline))).isInstanceOf(Step.Malformed.class);
    }

    /** Random bytes, random chunking: the decoder only ever answers NeedMore, Complete or Malformed. */
    @Test
    void randomInputNeverThrows() {
        Random random = new Random(8326);
        byte[] alphabet = "0123456789 -+\nabc\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        for (int round = 0; round < 2000; round++) {
            BirdReplyDecoder decoder = new BirdReplyDecoder();
            byte[] input = new byte[random.nextInt(200)];
            for (int i = 0; i < input.length; i++) {
                input[i] =
                        random.nextInt(4) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            }
            ByteBuffer in = ByteBuffer.wrap(input);
            while (in.hasRemaining()) {
                int chunk = 1 + random.nextInt(16);
                ByteBuffer slice = in.slice(in.position(), Math.min(chunk, in.remaining()));
                Step step = decoder.decode(slice);
                in.position(in.position() + slice.position());
                assertThat(step).isNotNull();
                if (step instanceof Step.Complete c) {
                    assertThat(c.reply().lines()).isNotEmpty();
                }
            }
        }
    }
}
