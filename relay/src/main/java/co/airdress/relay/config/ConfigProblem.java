package co.airdress.relay.config;

/**
 * One invalid field: its path in the file and what was expected, e.g.
 * {@code operators[2].hosts[0]: "*.com" (expected: a wildcard with at least two labels after "*.")}.
 */
public record ConfigProblem(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
