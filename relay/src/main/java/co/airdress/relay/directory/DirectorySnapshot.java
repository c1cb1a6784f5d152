package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.io.AtomicFile;
import co.airdress.relay.json.JsonBodies;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;

/**
 * The PoP's last table from the log, kept in a file so that it can route when the log cannot be
 * reached at start: {@code {"format":1,"topic":...,"offset":N,"written_at":...,"operators":[...]}},
 * each operator as the admin API shows it, {@code offset} the last record applied (-1: none).
 * Written atomically ({@link AtomicFile}). Read back with the operators file's validation: a
 * file that does not pass is corrupt, and treated as missing.
 */
final class DirectorySnapshot {

    static final int FORMAT = 1;

    /** What the file held. */
    sealed interface Loaded {
        record Ok(List<Operator> operators, long offset, Instant writtenAt) implements Loaded {}

        record Missing() implements Loaded {}

        record Corrupt(String reason) implements Loaded {}
    }

    private DirectorySnapshot() {}

    /** Replaces {@code file} with the operators in force at {@code offset} of {@code topic}. */
    static void write(Path file, String topic, long offset, Collection<Operator> operators, Instant now)
            throws IOException {
        requireNonNull(file, "file");
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + operators.size() * 160);
        try (JsonGenerator g = JsonBodies.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberProperty("format", FORMAT);
            g.writeStringProperty("topic", topic);
            g.writeNumberProperty("offset", offset);
            g.writeStringProperty("written_at", now.toString());
            g.writeName("operators");
            g.writeStartArray();
            for (Operator op : operators) {
                g.writePOJO(OperatorJson.write(op));
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        AtomicFile.write(file, out.toByteArray());
    }

    /** Reads {@code file}, the snapshot of {@code topic}. */
    static Loaded read(Path file, String topic) {
        requireNonNull(file, "file");
        requireNonNull(topic, "topic");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Loaded.Missing();
        } catch (IOException e) {
            return new Loaded.Corrupt("cannot read: " + e);
        }
        JsonNode root;
        try {
            root = JsonBodies.MAPPER.readTree(bytes);
        } catch (JacksonException e) {
            return new Loaded.Corrupt("not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            return new Loaded.Corrupt("not a JSON object");
        }
        JsonNode format = root.get("format");
        if (format == null || !format.isIntegralNumber() || format.intValue() != FORMAT) {
            return new Loaded.Corrupt("format: " + format + " (expected: " + FORMAT + ")");
        }
        JsonNode t = root.get("topic");
        if (t == null || !t.isString() || !t.stringValue().equals(topic)) {
            return new Loaded.Corrupt("topic: " + t + " (expected: \"" + topic + "\", the configured topic)");
        }
        JsonNode offset = root.get("offset");
        if (offset == null || !offset.isIntegralNumber() || offset.longValue() < -1) {
            return new Loaded.Corrupt("offset: " + offset + " (expected: an offset, or -1)");
        }
        Instant writtenAt;
        try {
            JsonNode w = root.get("written_at");
            writtenAt = Instant.parse(w == null ? "" : w.asString());
        } catch (DateTimeParseException e) {
            return new Loaded.Corrupt("written_at: " + root.get("written_at") + " (expected: an ISO-8601 instant)");
        }
        JsonNode list = root.get("operators");
        if (list == null || !list.isArray()) {
            return new Loaded.Corrupt("operators: missing (expected: a list)");
        }
        List<Operator> operators = new ArrayList<>(list.size());
        List<ConfigProblem> problems = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = "operators[" + i + "]";
            JsonNode node = list.get(i);
            if (!node.isObject()) {
                problems.add(new ConfigProblem(path, "not an object"));
                continue;
            }
            switch (OperatorsFile.parseOperator(node, path, file.toString())) {
                case Parsed.Ok<Operator> ok -> operators.add(ok.value());
                case Parsed.Invalid<Operator> invalid -> problems.addAll(invalid.problems());
            }
        }
        if (problems.isEmpty()) {
            problems.addAll(OperatorsFile.validate(operators));
        }
        if (!problems.isEmpty()) {
            return new Loaded.Corrupt(problems.size() + " problem(s): "
                    + problems.stream().limit(5).map(ConfigProblem::toString).collect(Collectors.joining("; ")));
        }
        return new Loaded.Ok(List.copyOf(operators), offset.longValue(), writtenAt);
    }
}
