package co.airdress.relay.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentEventsTest {

    private final RecentEvents events =
            new RecentEvents(Clock.fixed(Instant.parse("2026-11-22T03:50:01Z"), ZoneOffset.UTC));

    @Test
    void keepsTheLastEventsNewestFirst() {
        for (int i = 0; i < RecentEvents.CAPACITY + 5; i++) {
            events.add(RecentEvents.Source.DIRECTORY, "record " + i);
        }
        List<RecentEvents.Event> kept = events.newestFirst();
        assertThat(kept).hasSize(RecentEvents.CAPACITY);
        assertThat(kept.getFirst().message()).isEqualTo("record " + (RecentEvents.CAPACITY + 4));
        assertThat(kept.getLast().message()).isEqualTo("record 5");
        assertThat(kept.getFirst().at()).isEqualTo(Instant.parse("2026-11-22T03:50:01Z"));
        assertThat(kept.getFirst().source().label()).isEqualTo("directory");
        assertThat(events.total()).isEqualTo(RecentEvents.CAPACITY + 5);
    }

    @Test
    void aLongMessageIsCut() {
        events.add(RecentEvents.Source.OPERATORS_FILE, "x".repeat(RecentEvents.MAX_MESSAGE + 100));
        assertThat(events.newestFirst().getFirst().message())
                .hasSize(RecentEvents.MAX_MESSAGE + " [...]".length())
                .endsWith("x [...]");
    }

    @Test
    void healthRecordsEachNewOperatorsErrorOnce() {
        HealthState health = new HealthState("ams1", events);
        health.operators(true, 1, null);
        health.operators(true, 1, "operators.yaml: 1 problem(s)");
        health.operators(true, 1, "operators.yaml: 1 problem(s)"); // the same error seen again
        health.operators(true, 2, null);
        health.operators(true, 2, "operators.yaml: cannot read");
        assertThat(events.newestFirst())
                .extracting(RecentEvents.Event::message)
                .containsExactly("operators.yaml: cannot read", "operators.yaml: 1 problem(s)");
        assertThat(events.newestFirst())
                .extracting(RecentEvents.Event::source)
                .containsOnly(RecentEvents.Source.OPERATORS_FILE);
    }

    @Test
    void theDirectorysErrorsAreItsOwnEvents() {
        RecentEvents events = new RecentEvents();
        HealthState health = new HealthState("ams1", events);
        health.operators(false, 0, "directory log 10.0.0.5:9092 unreachable", RecentEvents.Source.DIRECTORY);
        events.add(
                RecentEvents.Source.DIRECTORY, "directory record at offset 7 (key \"bob\") rejected (conflict): ...");
        assertThat(events.newestFirst())
                .extracting(RecentEvents.Event::source)
                .containsExactly(RecentEvents.Source.DIRECTORY, RecentEvents.Source.DIRECTORY);
        assertThat(RecentEvents.Source.DIRECTORY.label()).isEqualTo("directory");
    }

    @Test
    void aStaleDirectoryIsReadyAndADownOneIsNot() {
        HealthState health = new HealthState("ams1");
        health.listener("http", true);
        health.operators(true, 1, null, RecentEvents.Source.DIRECTORY);
        health.directory(
                new DirectoryStatus(DirectoryStatus.State.STALE, DirectoryStatus.Source.KAFKA, 41L, null, null));
        assertThat(health.readiness()).isEqualTo(Readiness.UP);
        health.directory(
                new DirectoryStatus(DirectoryStatus.State.DOWN, DirectoryStatus.Source.KAFKA, null, null, null));
        assertThat(health.readiness()).isEqualTo(Readiness.DOWN);
    }

    @Test
    void readinessFollowsTheSameRuleAsReadyz() {
        HealthState health = new HealthState("ams1");
        assertThat(health.readiness()).isEqualTo(Readiness.DOWN); // nothing bound, nothing loaded
        health.listener("http", true);
        health.operators(true, 1, null);
        assertThat(health.readiness()).isEqualTo(Readiness.UP);
        health.tunnel(false);
        assertThat(health.readiness()).isEqualTo(Readiness.DOWN);
        health.tunnel(true);
        health.listener("tls", false);
        assertThat(health.readiness()).isEqualTo(Readiness.DOWN);
        health.draining(Instant.EPOCH);
        assertThat(health.readiness()).isEqualTo(Readiness.DRAINING);
    }
}
