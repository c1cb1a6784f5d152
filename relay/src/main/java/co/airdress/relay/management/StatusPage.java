package co.airdress.relay.management;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.health.Readiness;
import co.airdress.relay.io.Sha256;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Renders a {@link StatusView} as the status page: one self-contained HTML document (its style
 * inline, no script, no external asset) that reloads itself every {@link StatusView#refresh()}.
 * Every value goes through {@link #escape}, in text and in attributes alike (operator names and
 * hosts follow strict rules, but error messages can hold anything). Elements the tests and people's
 * scripts look for carry ids ({@code #readiness}, {@code #announcement}, {@code #drain},
 * {@code #operators}) and data attributes ({@code tr[data-operator]}, {@code td[data-tunnel]}).
 */
final class StatusPage {

    static final String CONTENT_TYPE = "text/html; charset=utf-8";

    private static final String STYLE = """
            body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px 20px;\
            color:#1d2330;background:#f6f7f9}
            h1{font-size:22px;margin:4px 0}h2{font-size:15px;margin:18px 0 6px}
            header p,footer{color:#5b6372;margin:0}footer{margin-top:18px;font-size:12px}
            .cards{display:flex;gap:10px;flex-wrap:wrap}
            .card{background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:8px 12px;flex:1 1 200px}
            .card h2{margin:0;font-size:12px;text-transform:uppercase;color:#5b6372}
            .card p{margin:4px 0}
            .big{font-size:20px;font-weight:600}
            table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9dde3}
            th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e8ec;vertical-align:top}
            th{font-size:12px;color:#5b6372;font-weight:600}
            td.n{text-align:right;font-variant-numeric:tabular-nums}
            .ok{color:#11703a}.warn{color:#9a5b00}.bad{color:#b3261e;font-weight:600}.muted{color:#7a8190}
            tr.dead{background:#fdecea}
            pre{white-space:pre-wrap;word-break:break-word;margin:2px 0;font-size:12px}
            ol{padding-left:20px;margin:0}li{margin-bottom:6px}
            """;

    /** The page's policy: nothing may load or run; only the inline style above applies. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'sha256-"
            + Base64.getEncoder().encodeToString(Sha256.of(STYLE)) + "'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    private StatusPage() {}

    static String render(StatusView v) {
        requireNonNull(v, "v");
        StringBuilder b = new StringBuilder(8192);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        b.append("<meta http-equiv=\"refresh\" content=\"")
                .append(Math.max(1, v.refresh().toSeconds()))
                .append("\">\n");
        b.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        b.append("<title>").append(escape(v.pop())).append(" · relay status</title>\n");
        b.append("<style>").append(STYLE).append("</style></head>\n<body>\n");

        b.append("<header><h1>PoP <span id=\"pop\">")
                .append(escape(v.pop()))
                .append("</span></h1><p>relay <span id=\"version\">")
                .append(escape(v.version()))
                .append("</span> · ")
                .append(time(v.at()))
                .append(" · reloads every ")
                .append(v.refresh().toSeconds())
                .append(" s</p></header>\n");

        summary(b, v);
        checks(b, v.checks());
        listeners(b, v.listeners());
        operators(b, v.operators(), v.operatorsNotShown());
        eventLoops(b, v.eventLoops());
        events(b, v.events());

        b.append("<footer>Read-only and without secrets: names, hosts and counts only. The same state as JSON:"
                + " /readyz, /v1/operators, /v1/peers; as metrics: /metrics.</footer>\n");
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void summary(StringBuilder b, StatusView v) {
        b.append("<section class=\"cards\">\n");

        b.append("<div class=\"card\"><h2>Readiness</h2><p id=\"readiness\" class=\"big ")
                .append(cls(v.readiness()))
                .append("\">")
                .append(v.readiness().name())
                .append("</p><p class=\"muted\">what /readyz answers</p></div>\n");

        b.append("<div class=\"card\"><h2>Anycast VIP</h2>");
        switch (v.announcement()) {
            case StatusView.Announcement.Unknown u ->
                b.append("<p id=\"announcement\" class=\"big muted\">unknown</p><p class=\"muted\">")
                        .append(escape(u.reason()))
                        .append("</p>");
            case StatusView.Announcement.Reported r -> {
                String word = !r.announced() ? "withdrawn" : r.gracefulShutdown() ? "draining" : "announced";
                String css = !r.announced() ? "bad" : r.gracefulShutdown() ? "warn" : "ok";
                b.append("<p id=\"announcement\" class=\"big ")
                        .append(css)
                        .append("\">")
                        .append(word)
                        .append("</p><p>controller: <span id=\"controller-state\">")
                        .append(escape(r.state()))
                        .append("</span></p>");
                if (!r.holdRemaining().isZero()) {
                    b.append("<p class=\"warn\">flap back-off: held for ")
                            .append(duration(r.holdRemaining()))
                            .append(" more (")
                            .append(r.recentFlaps())
                            .append(" recent flaps)</p>");
                } else if (r.recentFlaps() > 0) {
                    b.append("<p class=\"muted\">").append(r.recentFlaps()).append(" recent flaps</p>");
                }
                if (r.birdError() != null) {
                    b.append("<p class=\"bad\">BIRD: ")
                            .append(escape(r.birdError()))
                            .append("</p>");
                }
                if (r.lastTransition() != null) {
                    b.append("<p class=\"muted\">last change: ")
                            .append(escape(r.lastTransition()))
                            .append("</p>");
                }
            }
        }
        b.append("</div>\n");

        StatusView.Drain d = v.drain();
        b.append("<div class=\"card\"><h2>Drain</h2>");
        Instant since = d.since();
        if (since == null) {
            b.append("<p id=\"drain\" class=\"big ok\">not draining</p><p class=\"muted\">delay ")
                    .append(duration(d.delay()))
                    .append(", timeout ")
                    .append(duration(d.timeout()))
                    .append("</p>");
        } else {
            Duration elapsed = Duration.between(since, v.at());
            b.append("<p id=\"drain\" class=\"big warn\">DRAINING</p><p>since ")
                    .append(time(since))
                    .append(" (")
                    .append(duration(elapsed))
                    .append(")</p><p class=\"muted\">")
                    .append(elapsed.compareTo(d.delay()) < 0 ? "stops accepting after " : "stopped accepting after ")
                    .append(duration(d.delay()))
                    .append("; closes what is left after ")
                    .append(duration(d.timeout()))
                    .append("</p>");
        }
        b.append("</div>\n");

        StatusView.Connections c = v.connections();
        double used = c.max() <= 0 ? 0 : (double) c.open() / c.max();
        b.append("<div class=\"card\"><h2>Client connections</h2><p id=\"connections\" class=\"big ")
                .append(used >= 0.8 ? "bad" : "")
                .append("\">")
                .append(c.open())
                .append("</p><p class=\"muted\">of ")
                .append(c.max())
                .append(" allowed (limits.max_connections)</p></div>\n");

        b.append("</section>\n");
    }

    private static void checks(StringBuilder b, List<StatusView.Check> checks) {
        b.append("<section><h2>Readiness checks</h2><table id=\"checks\"><tr><th>check</th><th>status</th>"
                + "<th>detail</th></tr>\n");
        for (StatusView.Check c : checks) {
            b.append("<tr data-check=\"")
                    .append(escape(c.name()))
                    .append("\"><td>")
                    .append(escape(c.name()))
                    .append("</td><td class=\"")
                    .append(cls(c.level()))
                    .append("\">")
                    .append(escape(c.status()))
                    .append("</td><td>");
            String detail = c.detail();
            if (detail != null) {
                b.append("<pre>").append(escape(detail)).append("</pre>");
            }
            b.append("</td></tr>\n");
        }
        b.append("</table></section>\n");
    }

    private static void listeners(StringBuilder b, List<StatusView.ListenerRow> rows) {
        b.append("<section><h2>Listeners</h2><table id=\"listeners\"><tr><th>listener</th><th>state</th>"
                + "<th>open</th><th>accepted</th><th>accepted/s</th><th>refused/s</th></tr>\n");
        for (StatusView.ListenerRow l : rows) {
            b.append("<tr data-listener=\"")
                    .append(escape(l.name()))
                    .append("\"><td>")
                    .append(escape(l.name()))
                    .append("</td><td class=\"")
                    .append(l.accepting() ? "ok\">accepting" : "bad\">not accepting")
                    .append("</td><td class=\"n\">")
                    .append(l.open())
                    .append("</td><td class=\"n\">")
                    .append(l.accepted())
                    .append("</td><td class=\"n\">")
                    .append(rate(l.acceptedPerSecond()))
                    .append("</td><td class=\"n\">")
                    .append(rate(l.refusedPerSecond()))
                    .append("</td></tr>\n");
        }
        b.append("</table><p class=\"muted\">Rates over the last 10 s; refused: answered with an error (404, 502,"
                + " TLS alert, ...) or closed unread (limits).</p></section>\n");
    }

    private static void operators(StringBuilder b, List<StatusView.OperatorRow> rows, int notShown) {
        b.append("<section><h2>Operators (")
                .append(rows.size() + notShown)
                .append(")</h2><table id=\"operators\"><tr><th>operator</th><th>kind</th><th>hosts</th>"
                        + "<th>open</th><th>tunnel</th><th>attachment</th></tr>\n");
        for (StatusView.OperatorRow o : rows) {
            StatusView.Tunnel t = o.tunnel();
            boolean dead = t != null && !t.live();
            b.append("<tr data-operator=\"")
                    .append(escape(o.name()))
                    .append('"')
                    .append(dead ? " class=\"dead\"" : "")
                    .append("><td>")
                    .append(escape(o.name()))
                    .append("</td><td>")
                    .append(escape(o.kind()))
                    .append("</td><td>")
                    .append(escape(String.join(", ", o.hosts())))
                    .append("</td><td class=\"n\">")
                    .append(o.open())
                    .append("</td>");
            if (t == null) {
                b.append("<td data-tunnel=\"none\" class=\"muted\">no tunnel</td>");
            } else {
                Duration since = t.sinceHandshake();
                String handshake = since == null ? "never handshook" : "handshake " + duration(since) + " ago";
                b.append("<td data-tunnel=\"")
                        .append(t.live() ? "live" : "dead")
                        .append("\" class=\"")
                        .append(t.live() ? "ok\">live · " : "bad\">DEAD · ")
                        .append(handshake)
                        .append("</td>");
            }
            b.append("<td data-attachment>")
                    .append(
                            switch (o.attachment()) {
                                case StatusView.Attachment.Local l -> "local";
                                case StatusView.Attachment.AtPop p -> "at " + escape(p.pop());
                            })
                    .append("</td></tr>\n");
        }
        b.append("</table>");
        if (notShown > 0) {
            b.append("<p id=\"operators-not-shown\" class=\"muted\">")
                    .append(notShown)
                    .append(" more not shown (dead tunnels come first); GET /v1/operators lists every operator.</p>");
        }
        b.append("</section>\n");
    }

    private static void eventLoops(StringBuilder b, List<EventLoopWatch.Stall> loops) {
        b.append("<section><h2>Event loops</h2><p id=\"event-loops\">");
        if (loops.isEmpty()) {
            b.append("<span class=\"muted\">not watched</span>");
        } else {
            List<EventLoopWatch.Stall> stalled = loops.stream()
                    .filter(s -> s.seconds() >= ManagementServer.LIVENESS_TIMEOUT.toSeconds())
                    .toList();
            b.append(loops.size()).append(" event loops, ");
            if (stalled.isEmpty()) {
                b.append("<span class=\"ok\">none stalled</span>");
            } else {
                b.append("<span class=\"bad\">stalled: ");
                for (int i = 0; i < stalled.size(); i++) {
                    EventLoopWatch.Stall s = stalled.get(i);
                    b.append(i == 0 ? "" : ", ")
                            .append(escape(s.loop()))
                            .append(" (")
                            .append(duration(Duration.ofMillis((long) (s.seconds() * 1000))))
                            .append(')');
                }
                b.append("</span>");
            }
        }
        b.append("</p></section>\n");
    }

    private static void events(StringBuilder b, List<StatusView.EventRow> events) {
        b.append("<section><h2>Recent errors</h2>");
        if (events.isEmpty()) {
            b.append("<p id=\"events\" class=\"muted\">none since start</p>");
        } else {
            b.append("<ol id=\"events\">");
            for (StatusView.EventRow e : events) {
                b.append("<li>")
                        .append(time(e.at()))
                        .append(" <b>")
                        .append(escape(e.source()))
                        .append("</b><pre>")
                        .append(escape(e.message()))
                        .append("</pre></li>");
            }
            b.append("</ol>");
        }
        b.append("</section>\n");
    }

    // ---- values ----

    /**
     * The text with the five characters that mean something in HTML replaced by references, so
     * that it reads as text in an element and inside a double- or single-quoted attribute.
     */
    static String escape(@Nullable String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String ref = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (ref != null) {
                if (out == null) {
                    out = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                out.append(ref);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    private static String time(Instant t) {
        String iso = t.truncatedTo(ChronoUnit.SECONDS).toString();
        return "<time datetime=\"" + iso + "\">" + iso.replace('T', ' ') + "</time>";
    }

    /** {@code 850 ms}, {@code 42 s}, {@code 5 min 3 s}, {@code 2 h 5 min}. */
    static String duration(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        long s = ms / 1000;
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min" + (s % 60 == 0 ? "" : " " + s % 60 + " s");
        }
        long h = s / 3600;
        long min = (s % 3600) / 60;
        return h + " h" + (min == 0 ? "" : " " + min + " min");
    }

    private static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%.1f", perSecond);
    }

    private static String cls(Readiness r) {
        return switch (r) {
            case UP -> "ok";
            case DRAINING -> "warn";
            case DOWN -> "bad";
        };
    }

    private static String cls(StatusView.Level level) {
        return switch (level) {
            case OK -> "ok";
            case WARN -> "warn";
            case BAD -> "bad";
        };
    }
}
