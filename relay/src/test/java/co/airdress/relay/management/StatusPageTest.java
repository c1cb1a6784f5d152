package co.airdress.relay.management;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.health.DirectoryStatus;
import co.airdress.relay.health.Readiness;
import co.airdress.relay.io.Sha256;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class StatusPageTest {

    private static final Instant NOW = Instant.parse("2026-11-22T03:50:01Z");
    private static final String HOSTILE = "<script>alert('x')</script> & \"quoted\" <img src=x onerror=alert(1)>";

    private static StatusView view(
            Readiness readiness,
            StatusView.Announcement announcement,
            StatusView.@Nullable Drain drain,
            List<StatusView.OperatorRow> operators,
            List<StatusView.EventRow> events) {
        return new StatusView(
                "ams1",
                "1.2.3",
                NOW,
                Duration.ofSeconds(5),
                readiness,
                List.of(
                        new StatusView.Check("listeners", Readiness.UP, null),
                        new StatusView.Check("operators", Readiness.UP, "2 operators, route table version 7")),
                announcement,
                drain != null ? drain : new StatusView.Drain(null, Duration.ofSeconds(10), Duration.ofMinutes(5)),
                new StatusView.Connections(12, 100_000),
                List.of(
                        new StatusView.ListenerRow("http", true, 4, 1000, 2.5, 0.5),
                        new StatusView.ListenerRow("tls", false, 8, 2000, 10.25, 0)),
                operators,
                0,
                List.of(new EventLoopWatch.Stall("event-loop-0", 0), new EventLoopWatch.Stall("event-loop-1", 0)),
                events);
    }

    private static StatusView.OperatorRow direct(String name, String... hosts) {
        return new StatusView.OperatorRow(name, "direct", List.of(hosts), 3, null, new StatusView.Attachment.Local());
    }

    private static StatusView.OperatorRow wireguard(String name, boolean live, @Nullable Duration since) {
        return new StatusView.OperatorRow(
                name,
                "wireguard",
                List.of(name + ".example.test"),
                0,
                new StatusView.Tunnel(live, since),
                new StatusView.Attachment.Local());
    }

    /** The content of the element with {@code id}, up to its closing tag. */
    private static String byId(String html, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>(.*?)</", Pattern.DOTALL)
                .matcher(html);
        assertThat(m.find()).as("#" + id + " in\n" + html).isTrue();
        return m.group(1);
    }

    private static String operatorRow(String html, String name) {
        Matcher m = Pattern.compile("<tr data-operator=\"" + Pattern.quote(name) + "\".*?</tr>", Pattern.DOTALL)
                .matcher(html);
        assertThat(m.find()).as("row of " + name + " in\n" + html).isTrue();
        return m.group();
    }

    @Test
    void showsTheDirectorysCheckWithItsOwnWord() {
        StatusView v =
                view(Readiness.UP, new StatusView.Announcement.Unknown("no controller"), null, List.of(), List.of());
        List<StatusView.Check> checks = new ArrayList<>(v.checks());
        checks.add(PopStatus.directoryCheck(new DirectoryStatus(
                DirectoryStatus.State.STALE,
                DirectoryStatus.Source.KAFKA,
                41L,
                null,
                Instant.parse("2026-11-22T03:50:01Z"))));
        String html = StatusPage.render(new StatusView(
                v.pop(),
                v.version(),
                v.at(),
                v.refresh(),
                v.readiness(),
                checks,
                v.announcement(),
                v.drain(),
                v.connections(),
                v.listeners(),
                v.operators(),
                v.operatorsNotShown(),
                v.eventLoops(),
                v.events()));
        assertThat(html)
                .contains("<tr data-check=\"directory\"><td>directory</td><td class=\"warn\">STALE</td>"
                        + "<td><pre>source kafka, offset 41, last applied 2026-11-22T03:50:01Z</pre></td></tr>");
        assertThat(PopStatus.directoryCheck(DirectoryStatus.fileNotLoaded()))
                .isEqualTo(new StatusView.Check(
                        "directory", "DOWN", StatusView.Level.BAD, "source file, nothing applied yet"));
    }

    @Test
    void showsReadinessAnnouncementDrainConnectionsAndListeners() {
        String html = StatusPage.render(view(
                Readiness.UP,
                new StatusView.Announcement.Reported(
                        "ANNOUNCED", true, false, 0, Duration.ZERO, null, "RISING → ANNOUNCED: 5 probes"),
                null,
                List.of(direct("alice", "alice.example.test", "*.alice.example.test")),
                List.of()));

        assertThat(html).startsWith("<!DOCTYPE html>");
        assertThat(html).contains("<meta http-equiv=\"refresh\" content=\"5\">");
        assertThat(byId(html, "pop")).isEqualTo("ams1");
        assertThat(byId(html, "version")).isEqualTo("1.2.3");
        assertThat(byId(html, "readiness")).isEqualTo("UP");
        assertThat(byId(html, "announcement")).isEqualTo("announced");
        assertThat(byId(html, "controller-state")).isEqualTo("ANNOUNCED");
        assertThat(byId(html, "drain")).isEqualTo("not draining");
        assertThat(byId(html, "connections")).isEqualTo("12");
        assertThat(html).contains("of 100000 allowed");
        assertThat(html)
                .contains("<tr data-listener=\"http\"><td>http</td><td class=\"ok\">accepting</td><td class=\"n\">4"
                        + "</td><td class=\"n\">1000</td><td class=\"n\">2.5</td><td class=\"n\">0.5</td></tr>");
        assertThat(html).contains("<td class=\"bad\">not accepting</td>");
        assertThat(operatorRow(html, "alice"))
                .contains("<td>alice.example.test, *.alice.example.test</td>")
                .contains("<td data-tunnel=\"none\" class=\"muted\">no tunnel</td>")
                .contains("<td data-attachment>local</td>");
        assertThat(byId(html, "event-loops")).contains("2 event loops, ");
        assertThat(html).contains("none stalled");
        assertThat(byId(html, "events")).isEqualTo("none since start");
        // No script, no external anything.
        assertThat(html).doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");
    }

    @Test
    void aDrainingPopShowsDrainingWithItsSteps() {
        String html = StatusPage.render(view(
                Readiness.DRAINING,
                new StatusView.Announcement.Reported("DRAINING_ANNOUNCED", true, true, 0, Duration.ZERO, null, null),
                new StatusView.Drain(NOW.minusSeconds(42), Duration.ofSeconds(30), Duration.ofMinutes(5)),
                List.of(),
                List.of()));

        assertThat(byId(html, "readiness")).isEqualTo("DRAINING");
        assertThat(byId(html, "drain")).isEqualTo("DRAINING");
        assertThat(html).contains("(42 s)").contains("stopped accepting after 30 s; closes what is left after 5 min");
        assertThat(byId(html, "announcement")).isEqualTo("draining");
    }

    @Test
    void aDeadTunnelIsShownDeadWhetherItNeverHandshookOrWentSilent() {
        String html = StatusPage.render(view(
                Readiness.UP,
                new StatusView.Announcement.Unknown("management.controller_status is not set"),
                null,
                List.of(
                        wireguard("never", false, null),
                        wireguard("silent", false, Duration.ofSeconds(305)),
                        wireguard("live", true, Duration.ofSeconds(12))),
                List.of()));

        assertThat(operatorRow(html, "never"))
                .startsWith("<tr data-operator=\"never\" class=\"dead\">")
                .contains("<td data-tunnel=\"dead\" class=\"bad\">DEAD · never handshook</td>");
        assertThat(operatorRow(html, "silent"))
                .contains("<td data-tunnel=\"dead\" class=\"bad\">DEAD · handshake 5 min 5 s ago</td>");
        assertThat(operatorRow(html, "live"))
                .startsWith("<tr data-operator=\"live\">")
                .contains("<td data-tunnel=\"live\" class=\"ok\">live · handshake 12 s ago</td>");
        assertThat(byId(html, "announcement")).isEqualTo("unknown");
        assertThat(html).contains("management.controller_status is not set");
    }

    @Test
    void anAttachmentElsewhereNamesThePop() {
        String html = StatusPage.render(view(
                Readiness.UP,
                new StatusView.Announcement.Unknown("not set"),
                null,
                List.of(new StatusView.OperatorRow(
                        "carol",
                        "wireguard",
                        List.of("carol.example.test"),
                        0,
                        null,
                        new StatusView.Attachment.AtPop("fra2"))),
                List.of()));
        assertThat(operatorRow(html, "carol")).contains("<td data-attachment>at fra2</td>");
    }

    @Test
    void everyValueIsEscapedInTextAndAttributes() {
        String html = StatusPage.render(new StatusView(
                HOSTILE,
                HOSTILE,
                NOW,
                Duration.ofSeconds(5),
                Readiness.DOWN,
                List.of(new StatusView.Check(HOSTILE, Readiness.DOWN, HOSTILE)),
                new StatusView.Announcement.Reported(
                        HOSTILE, false, false, 3, Duration.ofSeconds(20), HOSTILE, HOSTILE),
                new StatusView.Drain(null, Duration.ofSeconds(10), Duration.ofMinutes(5)),
                new StatusView.Connections(0, 10),
                List.of(new StatusView.ListenerRow(HOSTILE, true, 0, 0, 0, 0)),
                List.of(new StatusView.OperatorRow(
                        HOSTILE,
                        HOSTILE,
                        List.of(HOSTILE),
                        0,
                        new StatusView.Tunnel(false, null),
                        new StatusView.Attachment.AtPop(HOSTILE))),
                3,
                List.of(new EventLoopWatch.Stall(HOSTILE, 3.5)),
                List.of(new StatusView.EventRow(NOW, HOSTILE, HOSTILE))));

        String escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"
                + " &lt;img src=x onerror=alert(1)&gt;";
        assertThat(html).doesNotContain("<script").doesNotContain("<img").doesNotContain("'x'");
        assertThat(html).contains("<span id=\"pop\">" + escaped + "</span>");
        assertThat(html).contains("<tr data-operator=\"" + escaped + "\" class=\"dead\">");
        assertThat(html).contains("<tr data-check=\"" + escaped + "\">");
        assertThat(html).contains("<pre>" + escaped + "</pre>");
        assertThat(html).contains("BIRD: " + escaped);
        assertThat(html).contains("stalled: " + escaped + " (3 s)");
        assertThat(html).contains("<h2>Operators (4)</h2>").contains("3 more not shown");
        // Every quote in the document is markup: escaped values add none.
        int quotes = (int) html.chars().filter(c -> c == '"').count();
        assertThat(quotes % 2).isZero();
    }

    @Test
    void escapeReplacesTheFiveSpecialCharactersOnly() {
        assertThat(StatusPage.escape("a&b<c>d\"e'f")).isEqualTo("a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assertThat(StatusPage.escape("plain ünïcode → text")).isEqualTo("plain ünïcode → text");
        assertThat(StatusPage.escape(null)).isEmpty();
    }

    @Test
    void durationsReadAsAPersonWouldWriteThem() {
        assertThat(StatusPage.duration(Duration.ofMillis(850))).isEqualTo("850 ms");
        assertThat(StatusPage.duration(Duration.ofSeconds(42))).isEqualTo("42 s");
        assertThat(StatusPage.duration(Duration.ofSeconds(300))).isEqualTo("5 min");
        assertThat(StatusPage.duration(Duration.ofSeconds(303))).isEqualTo("5 min 3 s");
        assertThat(StatusPage.duration(Duration.ofMinutes(125))).isEqualTo("2 h 5 min");
        assertThat(StatusPage.duration(Duration.ofSeconds(-3))).isEqualTo("0 ms");
    }

    @Test
    void thePolicyAllowsExactlyTheInlineStyle() {
        String html = StatusPage.render(
                view(Readiness.UP, new StatusView.Announcement.Unknown("n/a"), null, List.of(), List.of()));
        Matcher style = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL).matcher(html);
        assertThat(style.find()).isTrue();
        String hash = Base64.getEncoder().encodeToString(Sha256.of(style.group(1)));
        assertThat(StatusPage.CONTENT_SECURITY_POLICY)
                .startsWith("default-src 'none'; ")
                .contains("style-src 'sha256-" + hash + "'");
    }
}
