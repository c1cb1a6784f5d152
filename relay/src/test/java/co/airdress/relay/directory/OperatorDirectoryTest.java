package co.airdress.relay.directory;

import static co.airdress.relay.directory.OperatorFixtures.operator;
import static co.airdress.relay.directory.OperatorFixtures.reread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.config.ClaimConflict;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.metrics.RelayMetrics;
import co.airdress.relay.route.RouteTable;
import co.airdress.relay.route.Routes;
import co.airdress.relay.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorDirectoryTest {

    static final Duration DEBOUNCE = Duration.ofMillis(50);
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final HealthState health = new HealthState("ams1");
    private final RelayMetrics metrics = new RelayMetrics("ams1");
    private final Routes routes = new Routes(RouteTable.empty());
    private @Nullable OperatorDirectory store;

    private Path file() {
        return dir.resolve("operators.yaml");
    }

    private OperatorDirectory start(List<Operator> initial) throws IOException {
        Files.writeString(file(), OperatorsFile.write(initial));
        store = new OperatorDirectory(file(), routes, health, metrics, DEBOUNCE)
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
        store.start();
        return store;
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private double reloads(String result) {
        return metrics.registry()
                .get("relay.operators.reload")
                .tag("result", result)
                .counter()
                .count();
    }

    private @Nullable String owner(String host) {
        Operator op = routes.current().lookup(host);
        return op == null ? null : op.name();
    }

    @Test
    void startLoadsTheFileIntoTheRouteTable() throws IOException {
        OperatorDirectory s = start(List.of(operator("alice", 8080, "alice.example.test", "*.alice.example.test")));
        assertThat(s.list()).extracting(Operator::name).containsExactly("alice");
        assertThat(owner("www.alice.example.test")).isEqualTo("alice");
        assertThat(health.operatorsLoaded()).isTrue();
        assertThat(health.operatorsError()).isNull();
        assertThat(routes.current().version()).isEqualTo(1);
        assertThat(reloads("ok")).isEqualTo(1);
    }

    @Test
    void anInvalidFileFailsStartupNamingEveryProblem() throws IOException {
        Files.writeString(
                file(),
                "operators:\n  - name: -bad\n    hosts: [\"*.com\"]\n    upstream: { http: \"127.0.0.1:1\" }\n");
        store = new OperatorDirectory(file(), routes, health, metrics, DEBOUNCE)
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
        assertThatThrownBy(store::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("operators[0].name")
                .hasMessageContaining("operators[0].hosts[0]");
        assertThat(health.operatorsLoaded()).isFalse();
    }

    @Test
    void anEditorsRenameIntoPlaceIsReloaded() throws IOException {
        start(List.of(operator("alice", 8080, "alice.example.test")));
        Path tmp = dir.resolve(".operators.yaml.swp");
        Files.writeString(
                tmp,
                OperatorsFile.write(List.of(
                        operator("alice", 8080, "alice.example.test"), operator("bob", 9080, "bob.example.test"))));
        Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        Await.until(WAIT, "bob routed after rename", () -> "bob".equals(owner("bob.example.test")));
        assertThat(routes.current().version()).isEqualTo(2);
        assertThat(reloads("ok")).isEqualTo(2);
    }

    @Test
    void anInPlaceWriteIsReloaded() throws IOException {
        start(List.of(operator("alice", 8080, "alice.example.test")));
        Files.writeString(
                file(),
                OperatorsFile.write(List.of(operator("alice", 8080, "alice2.example.test"))),
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);

        Await.until(WAIT, "alice2 routed after in-place write", () -> "alice".equals(owner("alice2.example.test")));
        assertThat(owner("alice.example.test")).isNull();
    }

    @Test
    void anInvalidFileKeepsTheOldTableAndIsReportedInHealthAndMetrics() throws IOException {
        start(List.of(operator("alice", 8080, "alice.example.test")));
        RouteTable before = routes.current();
        Files.writeString(
                file(),
                "operators:\n  - name: alice\n    hosts: [\"*.com\"]\n    upstream: { http: \"localhost:1\" }\n");

        Await.until(WAIT, "invalid reload counted", () -> reloads("invalid") == 1);
        assertThat(routes.current()).isSameAs(before);
        assertThat(owner("alice.example.test")).isEqualTo("alice");
        assertThat(health.operatorsLoaded()).isTrue();
        assertThat(health.operatorsError())
                .contains(file().toString())
                .contains("operators[0].hosts[0]")
                .contains("operators[0].upstream.http");
        assertThat(metrics.scrape()).contains("relay_operators_reload_total{pop=\"ams1\",result=\"invalid\"} 1.0");

        // Fixing the file clears the error.
        Files.writeString(file(), OperatorsFile.write(List.of(operator("alice", 8080, "fixed.example.test"))));
        Await.until(WAIT, "fixed file applied", () -> "alice".equals(owner("fixed.example.test")));
        assertThat(health.operatorsError()).isNull();
    }

    @Test
    void aMissingFileIsAnIoErrorAndKeepsTheOldTable() throws IOException {
        start(List.of(operator("alice", 8080, "alice.example.test")));
        Files.delete(file());
        Await.until(WAIT, "io_error reload counted", () -> reloads("io_error") >= 1);
        assertThat(owner("alice.example.test")).isEqualTo("alice");
        assertThat(health.operatorsError()).contains(file().toString()).contains("no such file");
    }

    @Test
    void putAndDeleteArePersistedAndTheWatcherDoesNotApplyThemTwice() throws Exception {
        OperatorDirectory s = start(List.of(operator("alice", 8080, "alice.example.test")));

        assertThat(s.put(operator("bob", 9080, "bob.example.test"))).isInstanceOf(OperatorDirectory.Put.Created.class);
        assertThat(owner("bob.example.test")).isEqualTo("bob");
        assertThat(s.put(operator("bob", 9090, "bob.example.test", "*.bob.example.test")))
                .isInstanceOf(OperatorDirectory.Put.Updated.class);
        long beforeRetry = routes.current().version();
        assertThat(s.put(operator("bob", 9090, "bob.example.test", "*.bob.example.test")))
                .as("an identical put is a no-op")
                .isInstanceOf(OperatorDirectory.Put.Updated.class);
        assertThat(routes.current().version()).isEqualTo(beforeRetry);
        assertThat(s.delete("alice")).isEqualTo(new OperatorDirectory.Delete.Deleted("alice"));
        assertThat(s.delete("alice")).isEqualTo(new OperatorDirectory.Delete.NotFound("alice"));
        long version = routes.current().version();
        assertThat(version).isEqualTo(4);

        assertThat(reread(file())).isEqualTo(s.list());
        assertThat(s.list()).containsExactly(operator("bob", 9090, "bob.example.test", "*.bob.example.test"));

        // The watcher sees our own writes. Proof that it has read them back: an invalid edit, then
        // the file restored byte for byte; the watcher's reload of the restored bytes (our own
        // write) clears the error without counting as a reload or bumping the version.
        String ownWrite = Files.readString(file());
        renameIntoPlace("operators:\n  - name: Not Valid!\n");
        Await.until(WAIT, "the invalid edit reported", () -> health.operatorsError() != null);
        renameIntoPlace(ownWrite);
        Await.until(WAIT, "the restored file read back", () -> health.operatorsError() == null);
        assertThat(s.reloadNow()).isEqualTo(OperatorDirectory.Reload.UNCHANGED);
        assertThat(routes.current().version()).isEqualTo(version);
        assertThat(reloads("ok")).isEqualTo(1);
    }

    /** Replaces the file as an editor does, so that the watcher never reads it half written. */
    private void renameIntoPlace(String content) throws IOException {
        Path tmp = dir.resolve(".operators.yaml.edit");
        Files.writeString(tmp, content);
        Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anApiChangeDoesNotUndoAFileEditTheWatcherHasNotAppliedYet() throws IOException {
        Files.writeString(file(), OperatorsFile.write(List.of(operator("alice", 8080, "alice.example.test"))));
        // A debounce so long the watcher never gets to it in this test.
        store = new OperatorDirectory(file(), routes, health, metrics, Duration.ofHours(1))
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
        store.start();
        Files.writeString(
                file(),
                OperatorsFile.write(List.of(
                        operator("alice", 8080, "alice.example.test"), operator("carol", 7080, "carol.example.test"))));

        assertThat(store.put(operator("bob", 9080, "bob.example.test")))
                .isInstanceOf(OperatorDirectory.Put.Created.class);

        assertThat(reread(file())).extracting(Operator::name).containsExactly("alice", "carol", "bob");
        assertThat(owner("carol.example.test")).isEqualTo("carol");
    }

    @Test
    void anApiChangeIsRefusedWhileTheFileHoldsAnInvalidEdit() throws IOException {
        Files.writeString(file(), OperatorsFile.write(List.of(operator("alice", 8080, "alice.example.test"))));
        store = new OperatorDirectory(file(), routes, health, metrics, Duration.ofHours(1))
                .relay(OperatorFixtures.LOOPBACK_UPSTREAMS);
        store.start();
        String workInProgress = "operators:\n  - name: alice\n    hosts: [\"*.com\"]\n";
        Files.writeString(file(), workInProgress);

        assertThatThrownBy(() -> store.put(operator("bob", 9080, "bob.example.test")))
                .isInstanceOf(OperatorDirectory.UnappliedEditException.class)
                .hasMessageContaining(file().toString());
        assertThatThrownBy(() -> store.delete("alice")).isInstanceOf(OperatorDirectory.UnappliedEditException.class);
        assertThat(Files.readString(file())).isEqualTo(workInProgress);
        assertThat(owner("alice.example.test")).isEqualTo("alice");
    }

    @Test
    void putReportsConflictsAndInvalidOperators() throws IOException {
        OperatorDirectory s = start(List.of(operator("alice", 8080, "alice.example.test")));
        assertThat(s.put(operator("bob", 9080, "bob.example.test", "alice.example.test")))
                .isEqualTo(new OperatorDirectory.Put.Conflict(new ClaimConflict(
                        ClaimConflict.Kind.HOST, "bob", "alice.example.test", "alice", "alice.example.test")));
        OperatorDirectory.Put invalid = s.put(operator("Bob", 9080, "*.com"));
        assertThat(invalid)
                .isInstanceOfSatisfying(
                        OperatorDirectory.Put.Invalid.class,
                        i -> assertThat(i.problems())
                                .extracting(p -> p.path())
                                .contains("operator.name", "operator.hosts[0]"));
        assertThat(s.list()).extracting(Operator::name).containsExactly("alice");
        assertThat(reread(file())).extracting(Operator::name).containsExactly("alice");
    }

    @Test
    void aWildcardOwnsItsSubtreeThroughTheApi() throws IOException {
        OperatorDirectory s = start(List.of(operator("alice", 8080, "alice.example.test", "*.alice.example.test")));
        assertThat(s.put(operator("bob", 9080, "login.alice.example.test")))
                .isEqualTo(new OperatorDirectory.Put.Conflict(new ClaimConflict(
                        ClaimConflict.Kind.HOST, "bob", "login.alice.example.test", "alice", "*.alice.example.test")));
        assertThat(s.put(operator("bob", 9080, "*.login.alice.example.test")))
                .isEqualTo(new OperatorDirectory.Put.Conflict(new ClaimConflict(
                        ClaimConflict.Kind.HOST,
                        "bob",
                        "*.login.alice.example.test",
                        "alice",
                        "*.alice.example.test")));
        assertThat(s.put(operator("bob", 9080, "*.example.test")))
                .isEqualTo(new OperatorDirectory.Put.Conflict(new ClaimConflict(
                        ClaimConflict.Kind.HOST, "bob", "*.example.test", "alice", "alice.example.test")));
        assertThat(owner("login.alice.example.test")).isEqualTo("alice");
        assertThat(reread(file())).extracting(Operator::name).containsExactly("alice");

        // Beside the wildcard, not under it: a sibling name and the parent are free.
        assertThat(s.put(operator("bob", 9080, "bob.example.test", "example.test")))
                .isInstanceOf(OperatorDirectory.Put.Created.class);
        // Once alice lets go of her wildcard, its subtree is free.
        assertThat(s.put(operator("alice", 8080, "alice.example.test")))
                .isInstanceOf(OperatorDirectory.Put.Updated.class);
        assertThat(s.put(operator("bob", 9080, "bob.example.test", "login.alice.example.test")))
                .isInstanceOf(OperatorDirectory.Put.Updated.class);
        assertThat(owner("login.alice.example.test")).isEqualTo("bob");
    }

    @Test
    void aReloadWithAHostUnderAnotherOperatorsWildcardIsRejectedNamingBoth() throws IOException {
        start(List.of(operator("alice", 8080, "*.alice.example.test")));
        RouteTable before = routes.current();
        Files.writeString(
                file(),
                OperatorsFile.write(List.of(
                        operator("alice", 8080, "*.alice.example.test"),
                        operator("bob", 9080, "login.alice.example.test"))));

        Await.until(WAIT, "invalid reload counted", () -> reloads("invalid") == 1);
        assertThat(routes.current()).isSameAs(before);
        assertThat(owner("login.alice.example.test")).isEqualTo("alice");
        assertThat(health.operatorsError())
                .contains("operators[1].hosts[0]: \"login.alice.example.test\" of operator \"bob\" "
                        + "(expected: a host outside \"*.alice.example.test\" of operator \"alice\")");
    }

    @Test
    void readersNeverSeeAPartialFileWhileTheStoreWrites() throws Exception {
        OperatorDirectory s = start(List.of(operator("alice", 8080, "alice.example.test")));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<String> bad = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (writing.get() && bad.get() == null) {
                switch (OperatorsFile.read(file())) {
                    case Parsed.Ok<List<Operator>> ok -> reads.incrementAndGet();
                    case Parsed.Invalid<List<Operator>> invalid ->
                        bad.set(invalid.problems().toString());
                }
            }
        });
        try {
            for (int i = 0; i < 60; i++) {
                // Growing and shrinking content so a torn write would show as a parse error.
                String[] hosts = new String[1 + i % 20];
                for (int h = 0; h < hosts.length; h++) {
                    hosts[h] = "h" + h + ".bob.example.test";
                }
                s.put(operator("bob", 9000 + i, hosts));
            }
        } finally {
            writing.set(false);
            reader.join();
        }
        assertThat(bad.get()).as("a reader saw a partial file").isNull();
        assertThat(reads.get()).isPositive();
        // No temp files left behind.
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("operators.yaml");
        }
    }
}
