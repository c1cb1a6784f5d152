package co.airdress.relay.config;

import java.util.List;

/** The outcome of reading a config file: a value, or every problem found (never a partial value). */
public sealed interface Parsed<T> {
    record Ok<T>(T value) implements Parsed<T> {}

    record Invalid<T>(String source, List<ConfigProblem> problems) implements Parsed<T> {
        public Invalid {
            problems = List.copyOf(problems);
        }
    }
}
