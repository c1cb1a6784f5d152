package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.json.JsonBodies;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One record of the directory's log, and its format (docs/directory.md): the key is the
 * operator's name (UTF-8); the value is the operator exactly as {@code PUT /v1/operators/{name}}
 * takes it ({@link OperatorJson}), read by the same parser with the same messages (after the quick
 * path of {@link OperatorValueReader}, which reads what a PoP writes to the same operator); a null value
 * (a tombstone) deletes the operator. Headers: {@value #FORMAT} (the format version, {@code 1};
 * none means 1), {@value #REQUEST} (the id a PoP gave its own write, to find its outcome) and
 * {@value #COMPENSATES} (the offset of a rejected record this one compensates for).
 *
 * @param offset where the record is in the log
 * @param key the key's bytes, null when the record has none
 * @param value the value's bytes, null for a tombstone
 * @param format the format header's value, null when absent
 * @param request the request header's value, null when absent
 */
record DirectoryRecord(
        long offset,
        byte @Nullable [] key,
        byte @Nullable [] value,
        @Nullable String format,
        @Nullable String request) {

    static final String FORMAT = "airdress-format";
    static final String REQUEST = "airdress-request";
    static final String COMPENSATES = "airdress-compensates";
    static final String FORMAT_VERSION = "1";

    /** Why a record is rejected; the label of {@code relay_directory_records_total{reason}}. */
    enum Reason {
        INVALID("invalid"),
        UNKNOWN_VERSION("unknown_version"),
        NAME_MISMATCH("name_mismatch"),
        CONFLICT("conflict");

        final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    /** What a record says. */
    sealed interface Decoded {
        record Put(Operator operator) implements Decoded {}

        record Delete(String name) implements Decoded {}

        record Invalid(Reason reason, String message) implements Decoded {}
    }

    static DirectoryRecord of(ConsumerRecord<byte[], byte[]> r) {
        return new DirectoryRecord(
                r.offset(), r.key(), r.value(), header(r.headers(), FORMAT), header(r.headers(), REQUEST));
    }

    /**
     * Reads the record: the key a valid operator name, the format version known, the value an
     * operator as the admin API takes it, whose name (when it gives one) is the key. The same bytes
     * decode to the same outcome on every PoP: nothing here depends on the PoP.
     */
    Decoded decode() {
        if (format != null && !format.equals(FORMAT_VERSION)) {
            return new Decoded.Invalid(
                    Reason.UNKNOWN_VERSION,
                    FORMAT + ": " + show(format) + " (expected: " + FORMAT_VERSION + ", or no header)");
        }
        String name = key == null ? null : utf8(key);
        if (name == null || !NameRule.matches(name)) {
            return new Decoded.Invalid(
                    Reason.INVALID,
                    "key: " + (key == null ? "none" : name == null ? "not UTF-8" : show(name)) + " (expected: "
                            + NameRule.EXPECTATION + ")");
        }
        byte[] v = value;
        if (v == null) {
            return new Decoded.Delete(name);
        }
        Operator quick = OperatorValueReader.read(v, name);
        return quick != null ? new Decoded.Put(quick) : parse(v, name);
    }

    /**
     * The value of a record keyed {@code name} (a valid name), read as a JSON tree by the parser of
     * the admin API's bodies and the operators file's entries: every outcome, with its messages.
     */
    static Decoded parse(byte[] value, String name) {
        JsonNode node;
        try {
            node = JsonBodies.MAPPER.readTree(value);
        } catch (JacksonException e) {
            return new Decoded.Invalid(Reason.INVALID, "operator: not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (!(node instanceof ObjectNode object)) {
            return new Decoded.Invalid(
                    Reason.INVALID,
                    "operator: not a JSON object (expected: the body of PUT " + "/v1/operators/{name})");
        }
        JsonNode named = object.get("name");
        if (named == null || named.isNull()) {
            object.put("name", name);
        } else if (named.isString() && !named.stringValue().equals(name)) {
            return new Decoded.Invalid(
                    Reason.NAME_MISMATCH,
                    "operator.name: " + show(named.stringValue()) + " (expected: the record's key, " + show(name)
                            + ")");
        }
        return switch (OperatorsFile.parseOperator(object, "operator", "record")) {
            case Parsed.Ok<Operator> ok -> new Decoded.Put(ok.value());
            case Parsed.Invalid<Operator> invalid ->
                new Decoded.Invalid(
                        Reason.INVALID,
                        invalid.problems().stream().map(ConfigProblem::toString).collect(Collectors.joining("; ")));
        };
    }

    /** The key as text for logs, whatever its bytes. */
    String keyText() {
        return key == null ? "(no key)" : show(new String(key, StandardCharsets.UTF_8));
    }

    /** A record putting {@code operator} in the directory. */
    static ProducerRecord<byte[], byte[]> put(String topic, Operator operator, String request) {
        return record(topic, operator.name(), OperatorJson.bytes(operator), request, null);
    }

    /** A tombstone removing the operator {@code name}. */
    static ProducerRecord<byte[], byte[]> delete(String topic, String name, String request) {
        return record(topic, name, null, request, null);
    }

    /**
     * What follows a rejected record of {@code name} at {@code rejectedOffset} so that it is not the
     * last of its key: the operator in force under that name, or a tombstone when there is none.
     */
    static ProducerRecord<byte[], byte[]> compensation(
            String topic, String name, @Nullable Operator inForce, long rejectedOffset, String request) {
        return record(topic, name, inForce == null ? null : OperatorJson.bytes(inForce), request, rejectedOffset);
    }

    private static ProducerRecord<byte[], byte[]> record(
            String topic, String name, byte @Nullable [] value, String request, @Nullable Long compensates) {
        requireNonNull(topic, "topic");
        requireNonNull(request, "request");
        Headers headers = new RecordHeaders();
        headers.add(FORMAT, FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
        headers.add(REQUEST, request.getBytes(StandardCharsets.US_ASCII));
        if (compensates != null) {
            headers.add(COMPENSATES, Long.toString(compensates).getBytes(StandardCharsets.US_ASCII));
        }
        // One partition (docs/directory.md): partition 0, named so no partitioner is involved.
        return new ProducerRecord<>(topic, 0, name.getBytes(StandardCharsets.UTF_8), value, headers);
    }

    private static @Nullable String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        if (h == null) {
            return null;
        }
        byte[] v = h.value();
        return v == null ? "" : new String(v, StandardCharsets.UTF_8);
    }

    private static @Nullable String utf8(byte[] bytes) {
        if (ascii(bytes)) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean ascii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** Quoted, at most 100 characters, control characters and quotes escaped: safe in one log line. */
    private static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(s.length() > 100 ? "...\"" : "\"").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DirectoryRecord r
                && offset == r.offset
                && Arrays.equals(key, r.key)
                && Arrays.equals(value, r.value)
                && java.util.Objects.equals(format, r.format)
                && java.util.Objects.equals(request, r.request);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset) * 31 + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "DirectoryRecord[offset=" + offset + ", key=" + keyText() + ", value="
                + (value == null ? "null" : value.length + " bytes") + ", format=" + format + ", request=" + request
                + "]";
    }
}
