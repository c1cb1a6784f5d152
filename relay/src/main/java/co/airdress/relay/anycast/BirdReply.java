package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * One complete answer on BIRD's control socket: every line up to and including the final one.
 * Codes are BIRD's ({@code doc/reply_codes}): 0xxx done, 1xxx table rows, 2xxx table headings,
 * 8xxx run-time errors, 9xxx parse errors.
 */
record BirdReply(List<Line> lines) {

    static final int OK = 0;
    static final int WELCOME = 1;
    static final int READING_CONFIGURATION = 2;
    static final int RECONFIGURED = 3;
    static final int RECONFIGURATION_IN_PROGRESS = 4;
    static final int RECONFIGURATION_QUEUED = 5;
    static final int ALREADY_DISABLED = 8;
    static final int DISABLED = 9;
    static final int ALREADY_ENABLED = 10;
    static final int ENABLED = 11;
    static final int RECONFIGURATION_UNQUEUED = 17;
    static final int PROTOCOL_LIST = 1002;
    static final int NO_PROTOCOLS_MATCH = 8003;

    /** One reply line; continuation lines (leading space) carry the code of the line they continue. */
    record Line(int code, String text) {
        Line {
            requireNonNull(text, "text");
        }
    }

    BirdReply {
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("lines: [] (expected: at least the final line)");
        }
    }

    int finalCode() {
        return lines.getLast().code();
    }

    boolean isError() {
        return finalCode() >= 8000;
    }

    boolean has(int code) {
        return lines.stream().anyMatch(l -> l.code() == code);
    }

    /** The lines' text, one per line, for logs and error messages. */
    String text() {
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            if (!sb.isEmpty()) {
                sb.append(" | ");
            }
            sb.append(String.format("%04d", l.code()))
                    .append(' ')
                    .append(l.text().strip());
        }
        return sb.toString();
    }

    /**
     * The State column of {@code show protocols} for {@code protocol} (e.g. {@code up}, {@code down},
     * {@code start}), from its 1002 row: columns are Name, Proto, Table, State, Since, Info.
     */
    Optional<String> protocolState(String protocol) {
        for (Line l : lines) {
            if (l.code() != PROTOCOL_LIST) {
                continue;
            }
            String[] columns = l.text().strip().split("\\s+");
            if (columns.length >= 4 && columns[0].equals(protocol)) {
                return Optional.of(columns[3]);
            }
        }
        return Optional.empty();
    }
}
