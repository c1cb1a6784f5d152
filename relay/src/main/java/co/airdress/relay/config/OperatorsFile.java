package co.airdress.relay.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The operators file (YAML, {@code operators: [...]}): parse, validate, write.
 *
 * <p>API contract (stub: implementation pending).
 */
public final class OperatorsFile {

    private OperatorsFile() {}

    /** Reads and validates the whole file; any problem rejects it whole. */
    public static Parsed<List<Operator>> read(Path file) {
        throw new UnsupportedOperationException("pending");
    }

    /** Parses and validates YAML text; {@code source} names it in problems. */
    public static Parsed<List<Operator>> parse(String yaml, String source) {
        throw new UnsupportedOperationException("pending");
    }

    /**
     * Checks operators as a set: names unique and valid, host patterns valid, no host owned by two
     * operators, upstream present for each listener... Paths are like {@code operators[2].hosts[0]}.
     */
    public static List<ConfigProblem> validate(List<Operator> operators) {
        throw new UnsupportedOperationException("pending");
    }

    /** Validates one operator (for the admin API); paths start with {@code pathPrefix}. */
    public static List<ConfigProblem> validate(Operator operator, String pathPrefix) {
        throw new UnsupportedOperationException("pending");
    }

    /** Serialises operators back to YAML that {@link #parse} reads to the same list. */
    public static String write(List<Operator> operators) {
        throw new UnsupportedOperationException("pending");
    }
}
