package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Durations as the config file and the command line write them: a whole number of 1 to 9 digits
 * and a unit, {@code ms}, {@code s}, {@code m} or {@code h} ({@code 500ms}, {@code 10s},
 * {@code 5m}, {@code 1h}).
 */
public final class DurationText {

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

    private DurationText() {}

    /** The duration {@code text} names (surrounding white space ignored), or null when it names none. */
    public static @Nullable Duration parse(String text) {
        Matcher m = DURATION.matcher(requireNonNull(text, "text").trim());
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /**
     * {@code d} in the largest unit that shows it exactly ({@code 1h}, {@code 90s}, {@code 500ms};
     * zero is {@code 0ms}), the form {@link #parse} reads; a duration that is not a whole number of
     * milliseconds in ISO-8601 ({@code PT0.0005S}).
     */
    public static String format(Duration d) {
        requireNonNull(d, "d");
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        if (d.toNanosPart() % 1_000_000 != 0) {
            return d.toString();
        }
        if (d.isZero()) {
            return "0ms";
        }
        if (d.toMillisPart() != 0) {
            return d.toMillis() + "ms";
        }
        long seconds = d.toSeconds();
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
