package co.airdress.relay.directory;

import static co.airdress.relay.directory.OperatorFixtures.operator;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.Operator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The log's rule without a broker: records in, outcomes and state out. */
class DirectoryStateTest {

    private long offset;

    private DirectoryRecord record(@Nullable String key, @Nullable String value, @Nullable String format) {
        return new DirectoryRecord(
                offset++,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8),
                format,
                null);
    }

    private DirectoryRecord put(Operator op) {
        return record(op.name(), new String(OperatorJson.bytes(op), StandardCharsets.UTF_8), "1");
    }

    private static DirectoryState.Outcome.Rejected rejected(DirectoryState.Outcome o) {
        assertThat(o).isInstanceOf(DirectoryState.Outcome.Rejected.class);
        return (DirectoryState.Outcome.Rejected) o;
    }

    @Test
    void aPutAddsOrReplacesAndATombstoneDeletes() {
        DirectoryState s = new DirectoryState();
        Operator alice = operator("alice", 8080, "alice.example.test");
        assertThat(s.apply(put(alice))).isEqualTo(new DirectoryState.Outcome.Applied("alice", null, alice));
        Operator alice2 = operator("alice", 8090, "alice.example.test", "*.alice.example.test");
        assertThat(s.apply(put(alice2))).isEqualTo(new DirectoryState.Outcome.Applied("alice", alice, alice2));
        DirectoryState.Outcome same = s.apply(put(alice2));
        assertThat(((DirectoryState.Outcome.Applied) same).changed()).isFalse();
        assertThat(s.apply(record("alice", null, null)))
                .isEqualTo(new DirectoryState.Outcome.Applied("alice", alice2, null));
        assertThat(s.size()).isZero();
        // A tombstone for an absent key changes nothing and is not an error.
        assertThat(s.apply(record("bob", null, null))).isEqualTo(new DirectoryState.Outcome.Applied("bob", null, null));
    }

    @Test
    void noFormatHeaderMeansVersionOneAndABodyWithoutANameTakesTheKey() {
        DirectoryState s = new DirectoryState();
        DirectoryState.Outcome o = s.apply(record(
                "alice", "{\"hosts\":[\"Alice.Example.Test.\"],\"upstream\":{\"http\":\"127.0.0.1:8080\"}}", null));
        assertThat(o).isInstanceOf(DirectoryState.Outcome.Applied.class);
        assertThat(s.get("alice").hosts()).containsExactly("alice.example.test");
    }

    @Test
    void invalidRecordsAreRejectedAndTheKeyKeepsItsValue() {
        DirectoryState s = new DirectoryState();
        Operator alice = operator("alice", 8080, "alice.example.test");
        s.apply(put(alice));

        DirectoryState.Outcome.Rejected version = rejected(s.apply(record("alice", null, "2")));
        assertThat(version.reason()).isEqualTo(DirectoryRecord.Reason.UNKNOWN_VERSION);
        assertThat(version.message()).isEqualTo("airdress-format: \"2\" (expected: 1, or no header)");

        DirectoryState.Outcome.Rejected json = rejected(s.apply(record("alice", "{not json", "1")));
        assertThat(json.reason()).isEqualTo(DirectoryRecord.Reason.INVALID);
        assertThat(json.message()).startsWith("operator: not valid JSON");

        DirectoryState.Outcome.Rejected rules = rejected(s.apply(
                record("alice", "{\"name\":\"alice\",\"hosts\":[\"*.com\"],\"upstream\":{\"http\":\"app:80\"}}", "1")));
        assertThat(rules.reason()).isEqualTo(DirectoryRecord.Reason.INVALID);
        assertThat(rules.message())
                .contains("operator.hosts[0]: \"*.com\" (expected: a wildcard with at least two labels after \"*.\")")
                .contains("operator.upstream.http: \"app:80\"");

        DirectoryState.Outcome.Rejected mismatch =
                rejected(s.apply(record("alice", new String(OperatorJson.bytes(operator("bob", 1, "b.test"))), "1")));
        assertThat(mismatch.reason()).isEqualTo(DirectoryRecord.Reason.NAME_MISMATCH);
        assertThat(mismatch.message()).isEqualTo("operator.name: \"bob\" (expected: the record's key, \"alice\")");

        DirectoryState.Outcome.Rejected badKey = rejected(s.apply(record("Not A Name", null, null)));
        assertThat(badKey.reason()).isEqualTo(DirectoryRecord.Reason.INVALID);
        assertThat(badKey.name()).isNull();
        assertThat(rejected(s.apply(record(null, "{}", null))).message()).startsWith("key: none");

        assertThat(s.get("alice")).isEqualTo(alice);
        assertThat(s.size()).isEqualTo(1);
    }

    @Test
    void aConflictingRecordIsRejectedAtThatPointOfTheLog() {
        DirectoryState s = new DirectoryState();
        s.apply(put(operator("alice", 8080, "*.alice.example.test")));
        Operator bob = operator("bob", 9080, "bob.example.test");
        s.apply(put(bob));
        DirectoryState.Outcome.Rejected r =
                rejected(s.apply(put(operator("bob", 9080, "bob.example.test", "login.alice.example.test"))));
        assertThat(r.reason()).isEqualTo(DirectoryRecord.Reason.CONFLICT);
        assertThat(r.conflict())
                .isEqualTo(new ClaimConflict(
                        ClaimConflict.Kind.HOST, "bob", "login.alice.example.test", "alice", "*.alice.example.test"));
        assertThat(s.get("bob")).as("a rejected record does not delete the key").isEqualTo(bob);

        // Later in the log, once alice let go of it, the same value is accepted.
        s.apply(record("alice", null, null));
        assertThat(s.apply(put(operator("bob", 9080, "bob.example.test", "login.alice.example.test"))))
                .isInstanceOf(DirectoryState.Outcome.Applied.class);
    }

    @Test
    void theSameLogGivesTheSameStateAndOutcomesWhoeverReadsIt() {
        List<DirectoryRecord> log = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            log.add(put(operator("op" + (i % 37), 8000 + i, "h" + (i % 11) + ".example.test")));
            if (i % 7 == 0) {
                log.add(record("op" + (i % 5), null, null));
            }
            if (i % 13 == 0) {
                log.add(put(operator("w" + i, 1, "*.example.test")));
            }
        }
        DirectoryState a = new DirectoryState();
        DirectoryState b = new DirectoryState();
        List<DirectoryState.Outcome> outcomesA = log.stream().map(a::apply).toList();
        List<DirectoryState.Outcome> outcomesB = log.stream().map(b::apply).toList();
        assertThat(outcomesA).isEqualTo(outcomesB);
        assertThat(a.list()).isEqualTo(b.list());
        assertThat(outcomesA).anyMatch(o -> o instanceof DirectoryState.Outcome.Rejected);
    }
}
