package co.airdress.relay.attach;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The attachments' rule, record by record, without a broker. */
class AttachmentsTest {

    private static final Instant T0 = Instant.parse("2030-01-02T03:04:05.678Z");
    private static final InetSocketAddress ENDPOINT = new InetSocketAddress("198.51.100.7", 51820);

    private long offset;

    private AttachmentRecord record(String operator, @Nullable String value) {
        return new AttachmentRecord(
                offset++,
                operator.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8),
                AttachmentRecord.FORMAT_VERSION);
    }

    private AttachmentRecord record(Attachment a) {
        var r = AttachmentRecord.put("t", a);
        return new AttachmentRecord(offset++, r.key(), r.value(), AttachmentRecord.FORMAT_VERSION);
    }

    private static Attachment at(String operator, String pop, long seconds, int... indexes) {
        return new Attachment(operator, pop, T0.plusSeconds(seconds), indexes, ENDPOINT);
    }

    @Test
    void aRecordDecodesToTheAttachmentItWasWrittenFrom() {
        Attachment a = at("demo", "pop1", 0, 7, -1, 0x7fffffff);
        Attachments s = new Attachments();
        assertThat(s.apply(record(a))).isInstanceOf(Attachments.Outcome.Applied.class);
        assertThat(s.attachment("demo")).isEqualTo(a);
        // Indexes are unsigned 32-bit numbers on the wire.
        String json = new String(AttachmentRecord.put("t", a).value(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"receiver_indexes\":[7,4294967295,2147483647]");
        assertThat(json).contains("\"since\":\"2030-01-02T03:04:05.678Z\"");
        assertThat(json).contains("\"endpoint\":\"198.51.100.7:51820\"");
    }

    @Test
    void theNewestHandshakeWinsWhateverTheOrder() {
        Attachment older = at("demo", "pop1", 0, 1);
        Attachment newer = at("demo", "pop2", 5, 2);
        Attachments inOrder = new Attachments();
        inOrder.apply(record(older));
        inOrder.apply(record(newer));
        Attachments reversed = new Attachments();
        reversed.apply(record(newer));
        Attachments.Outcome o = reversed.apply(record(older));
        assertThat(o).isInstanceOf(Attachments.Outcome.Stale.class);
        assertThat(((Attachments.Outcome.Stale) o).inForce()).isEqualTo(newer);
        assertThat(inOrder.attachment("demo")).isEqualTo(newer);
        assertThat(reversed.attachment("demo")).isEqualTo(newer);
    }

    @Test
    void aTieGoesToThePopWhoseNameSortsLastOnEveryPop() {
        Attachment a = at("demo", "pop-a", 0, 1);
        Attachment b = at("demo", "pop-b", 0, 2);
        Attachments ab = new Attachments();
        ab.apply(record(a));
        ab.apply(record(b));
        Attachments ba = new Attachments();
        ba.apply(record(b));
        ba.apply(record(a));
        assertThat(ab.attachment("demo")).isEqualTo(b);
        assertThat(ba.attachment("demo")).isEqualTo(b);
        // The same handshake again (a PoP republishing it) replaces it: nothing changes.
        assertThat(ab.apply(record(b))).isInstanceOf(Attachments.Outcome.Applied.class);
        assertThat(ab.attachment("demo")).isEqualTo(b);
    }

    @Test
    void anyOrderOfTheSameRecordsReachesTheSameState() {
        List<Attachment> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            all.add(at("op" + (i % 5), "pop" + (i % 3), i % 7, i, 1000 + i));
        }
        Attachments first = new Attachments();
        all.forEach(a -> first.put(a));
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            List<Attachment> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, random);
            Attachments s = new Attachments();
            shuffled.forEach(a -> s.put(a));
            for (int op = 0; op < 5; op++) {
                assertThat(s.attachment("op" + op)).isEqualTo(first.attachment("op" + op));
            }
            for (int i = 0; i < 40; i++) {
                assertThat(s.operatorOf(i)).isEqualTo(first.operatorOf(i));
            }
        }
    }

    @Test
    void indexesOfASupersededAttachmentAreForgotten() {
        Attachments s = new Attachments();
        s.apply(record(at("demo", "pop1", 0, 11, 12)));
        assertThat(s.operatorOf(11)).isEqualTo("demo");
        assertThat(s.operatorOf(12)).isEqualTo("demo");
        assertThat(s.operatorOf(13)).isNull();

        // The operator moves to pop2: pop2's index leads to it, pop1's lead nowhere.
        s.apply(record(at("demo", "pop2", 1, 21)));
        assertThat(s.operatorOf(21)).isEqualTo("demo");
        assertThat(s.operatorOf(11)).isNull();
        assertThat(s.operatorOf(12)).isNull();
        // A stale record does not bring its indexes back.
        s.apply(record(at("demo", "pop1", 0, 11, 12)));
        assertThat(s.operatorOf(11)).isNull();
        assertThat(s.indexes()).isEqualTo(1);
    }

    @Test
    void anIndexIssuedTwiceNamesTheLatestOperatorAndSurvivesTheOthersMove() {
        Attachments s = new Attachments();
        s.apply(record(at("alice", "pop1", 0, 99)));
        s.apply(record(at("bob", "pop2", 0, 99)));
        assertThat(s.operatorOf(99)).isEqualTo("bob");
        // alice moving away forgets her indexes, not bob's.
        s.apply(record(at("alice", "pop2", 1, 5)));
        assertThat(s.operatorOf(99)).isEqualTo("bob");
    }

    @Test
    void aTombstoneForgetsTheOperatorAndItsIndexes() {
        Attachments s = new Attachments();
        s.apply(record(at("demo", "pop1", 0, 11)));
        s.apply(record(at("other", "pop1", 0, 12)));
        assertThat(s.size()).isEqualTo(2);
        Attachments.Outcome o = s.apply(record("demo", null));
        assertThat(o).isEqualTo(new Attachments.Outcome.Applied("demo", at("demo", "pop1", 0, 11), null));
        assertThat(s.attachment("demo")).isNull();
        assertThat(s.operatorOf(11)).isNull();
        assertThat(s.operatorOf(12)).isEqualTo("other");
        assertThat(s.size()).isEqualTo(1);
        // A later handshake attaches it again.
        s.apply(record(at("demo", "pop2", 0, 31)));
        assertThat(s.attachment("demo").pop()).isEqualTo("pop2");
    }

    @Test
    void invalidRecordsAreRejectedWithWhatIsWrongAndChangeNothing() {
        Attachments s = new Attachments();
        s.apply(record(at("demo", "pop1", 0, 11)));
        assertRejected(s, record("demo", "{"), "invalid", "attachment: not valid JSON");
        assertRejected(s, record("demo", "[]"), "invalid", "attachment: not a JSON object");
        assertRejected(
                s,
                record(
                        "demo",
                        "{\"pop\":\"pop2\",\"since\":\"2031-01-01T00:00:00Z\",\"receiver_indexes\":[1],"
                                + "\"endpoint\":\"198.51.100.7:51820\",\"extra\":1}"),
                "invalid",
                "attachment.extra: unknown field");
        assertRejected(
                s,
                record(
                        "demo",
                        "{\"pop\":\"Pop 2\",\"since\":\"yesterday\",\"receiver_indexes\":[-1],\"endpoint\":\"x\"}"),
                "invalid",
                "attachment.pop: \"Pop 2\"",
                "attachment.since: \"yesterday\"",
                "attachment.receiver_indexes[0]: -1",
                "attachment.endpoint: \"x\"");
        assertRejected(
                s,
                record(
                        "demo",
                        "{\"pop\":\"pop2\",\"since\":\"2031-01-01T00:00:00Z\",\"receiver_indexes\":[4294967296]}"),
                "invalid",
                "attachment.receiver_indexes[0]: 4294967296",
                "attachment.endpoint: missing");
        assertRejected(s, record("Not A Name", "{}"), "invalid", "key: \"Not A Name\" (expected: an operator's name");
        assertRejected(s, new AttachmentRecord(offset++, null, null, null), "invalid", "key: none");
        assertRejected(
                s,
                new AttachmentRecord(offset++, "demo".getBytes(StandardCharsets.UTF_8), null, "2"),
                "unknown_version",
                "airdress-format: \"2\" (expected: 1, or no header)");
        assertThat(s.attachment("demo")).isEqualTo(at("demo", "pop1", 0, 11));
        assertThat(s.operatorOf(11)).isEqualTo("demo");
    }

    @Test
    void aRecordWithoutAFormatHeaderIsVersionOne() {
        var r = AttachmentRecord.put("t", at("demo", "pop1", 0, 1));
        Attachments s = new Attachments();
        assertThat(s.apply(new AttachmentRecord(0, r.key(), r.value(), null)))
                .isInstanceOf(Attachments.Outcome.Applied.class);
    }

    private static void assertRejected(Attachments s, AttachmentRecord r, String reason, String... messages) {
        Attachments.Outcome o = s.apply(r);
        assertThat(o).isInstanceOf(Attachments.Outcome.Rejected.class);
        Attachments.Outcome.Rejected rejected = (Attachments.Outcome.Rejected) o;
        assertThat(rejected.reason().label).isEqualTo(reason);
        for (String m : messages) {
            assertThat(rejected.message()).contains(m);
        }
    }
}
