package co.airdress.relay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page of a real PoP ({@link ObservedPop}) in headless Chromium: drained, with a dead
 * tunnel and a rejected reload whose message is hostile HTML. Chromium renders it (a screenshot in
 * {@code target/status-page/status-page.png}, which docs/status-page.sh copies to the docs) and its
 * DOM shows what the test set up, the hostile text as text.
 */
class StatusPageChromiumTest {

    /** Where the screenshot goes (docs/status-page.sh reads it from there). */
    static final Path SHOT = Path.of("target", "status-page", "status-page.png");

    private static final String HOSTILE_NAME = "<script>document.title='pwned'</script><b id=hostile>x</b>";

    @TempDir
    Path dir;

    @Test
    void aDrainedPopWithADeadTunnelAndARejectedReload() throws Exception {
        String chromium = Prerequisites.tool("chromium").toString();
        try (ObservedPop pop = ObservedPop.start(dir, "obs-page", Duration.ofMinutes(5))) {
            pop.load();
            pop.drain();
            // An edit with a name the validation refuses: the message quotes it as it was written.
            pop.writeOperators("operators:\n  - name: \"" + HOSTILE_NAME.replace("\"", "\\\"") + "\"\n"
                    + "    hosts: [\"evil.example.test\"]\n    upstream: { http: \"127.0.0.1:8080\" }\n");
            Await.until(
                    Duration.ofSeconds(30), "the page to show the drain, the rejected file and the controller", () -> {
                        String page = pop.get("/status");
                        return page.contains("id=\"drain\" class=\"big warn\">DRAINING<")
                                && page.contains("<b>operators file</b>")
                                && page.contains("id=\"controller-state\"");
                    });

            Path profile = Files.createTempDirectory("relay-status-chromium");
            try {
                Path shot = SHOT.toAbsolutePath();
                Files.createDirectories(shot.getParent());
                Files.deleteIfExists(shot);
                ExternalProcess.Result screenshot =
                        chromium(pop, chromium, profile, "--screenshot=" + shot, "--window-size=1200,1150");
                assertThat(shot).as(screenshot.output()).exists();
                assertThat(Files.size(shot)).isGreaterThan(10_000);

                String dom = chromium(pop, chromium, profile, "--dump-dom").output();
                assertThat(text(dom, "pop")).isEqualTo(ObservedPop.POP);
                assertThat(text(dom, "readiness")).isEqualTo("DRAINING");
                assertThat(text(dom, "drain")).isEqualTo("DRAINING");
                assertThat(row(dom, "wg-dead"))
                        .contains("class=\"dead\"")
                        .contains("<td data-tunnel=\"dead\" class=\"bad\">DEAD · never handshook</td>")
                        .contains("<td>wireguard</td>")
                        .contains("<td data-attachment=\"\">local</td>");
                assertThat(row(dom, "alice"))
                        .contains("alice.example.test, *.alice.example.test")
                        .contains("no tunnel")
                        .doesNotContain("8080");
                assertThat(row(dom, "broken")).contains("broken.example.test");
                // The controller runs beside it without BIRD: reported, not announced.
                assertThat(text(dom, "announcement")).isEqualTo("withdrawn");
                assertThat(text(dom, "controller-state")).matches("[A-Z_]+");
                assertThat(dom).contains("<tr data-listener=\"http\">").contains("<tr data-listener=\"tls\">");
                // The hostile name is text on the page, not markup: no script ran, no element was made.
                assertThat(dom).contains("&lt;script&gt;document.title=").doesNotContain("<script");
                assertThat(dom).doesNotContain("id=\"hostile\"").doesNotContain("pwned</title>");
                assertThat(dom).doesNotContain(ObservedPop.TOKEN);
            } finally {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** Headless Chromium in the PoP's namespace on the status page. */
    private static ExternalProcess.Result chromium(ObservedPop pop, String chromium, Path profile, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        cmd.add("http://" + ObservedPop.MANAGEMENT + "/status");
        ExternalProcess.Result r =
                pop.namespace().execAllowingFailure(Duration.ofSeconds(90), cmd.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r;
    }

    private static String text(String dom, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(dom);
        assertThat(m.find()).as("#" + id + " in\n" + dom).isTrue();
        return m.group(1);
    }

    private static String row(String dom, String operator) {
        Matcher m = Pattern.compile("<tr data-operator=\"" + Pattern.quote(operator) + "\".*?</tr>", Pattern.DOTALL)
                .matcher(dom);
        assertThat(m.find()).as("row of " + operator + " in\n" + dom).isTrue();
        return m.group();
    }
}
