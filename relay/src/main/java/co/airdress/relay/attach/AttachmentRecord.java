package co.airdress.relay.attach;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.NameRule;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.net.HostPort;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One record of the attachments' topic (docs/directory.md, "Attachments"): the key is the
 * operator's name (UTF-8); the value is
 * {@code {"pop": "pop1", "since": "<ISO-8601 instant>", "receiver_indexes": [<u32>...],
 * "endpoint": "<ip>:<port>"}}; a null value (a tombstone) forgets the operator's attachment. The
 * header {@value #FORMAT} is the format version ({@value #FORMAT_VERSION}; none means 1). Reading
 * is strict: an unknown field, a missing one or a value of the wrong shape rejects the record.
 *
 * @param offset where the record is in the topic
 * @param key the key's bytes, null when the record has none
 * @param value the value's bytes, null for a tombstone
 * @param format the format header's value, null when absent
 */
record AttachmentRecord(
        long offset,
        byte @Nullable [] key,
        byte @Nullable [] value,
        @Nullable String format) {

    static final String FORMAT = "airdress-format";
    static final String FORMAT_VERSION = "1";

    private static final Set<String> FIELDS = Set.of("pop", "since", "receiver_indexes", "endpoint");
    private static final String SHAPE =
            "{\"pop\": ..., \"since\": ..., \"receiver_indexes\": [...], \"endpoint\": ...}";

    /** Why a record is rejected; the label of {@code relay_attachments_records_total{reason}}. */
    enum Reason {
        INVALID("invalid"),
        UNKNOWN_VERSION("unknown_version");

        final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    /** What a record says. */
    sealed interface Decoded {
        record Put(Attachment attachment) implements Decoded {}

        record Delete(String operator) implements Decoded {}

        record Invalid(Reason reason, String message) implements Decoded {}
    }

    static AttachmentRecord of(ConsumerRecord<byte[], byte[]> r) {
        Header h = r.headers().lastHeader(FORMAT);
        String format = h == null ? null : h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
        return new AttachmentRecord(r.offset(), r.key(), r.value(), format);
    }

    /** Reads the record; the same bytes decode to the same outcome on every PoP. */
    Decoded decode() {
        if (format != null && !format.equals(FORMAT_VERSION)) {
            return invalid(
                    Reason.UNKNOWN_VERSION,
                    FORMAT + ": " + show(format) + " (expected: " + FORMAT_VERSION + ", or no header)");
        }
        String operator = key == null ? null : utf8(key);
        if (operator == null || !NameRule.matches(operator)) {
            return invalid(
                    Reason.INVALID,
                    "key: " + (key == null ? "none" : operator == null ? "not UTF-8" : show(operator))
                            + " (expected: an operator's name, " + NameRule.EXPECTATION + ")");
        }
        byte[] v = value;
        if (v == null) {
            return new Decoded.Delete(operator);
        }
        JsonNode node;
        try {
            node = JsonBodies.MAPPER.readTree(v);
        } catch (JacksonException e) {
            return invalid(Reason.INVALID, "attachment: not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (!(node instanceof ObjectNode object)) {
            return invalid(Reason.INVALID, "attachment: not a JSON object (expected: " + SHAPE + ")");
        }
        List<String> problems = new ArrayList<>();
        for (String field : object.propertyNames()) {
            if (!FIELDS.contains(field)) {
                problems.add("attachment." + field + ": unknown field (expected: one of " + SHAPE + ")");
            }
        }
        String pop = text(object, "pop", problems);
        if (pop != null && !NameRule.matches(pop)) {
            problems.add("attachment.pop: " + show(pop) + " (expected: a PoP's name, " + NameRule.EXPECTATION + ")");
            pop = null;
        }
        Instant since = null;
        String sinceText = text(object, "since", problems);
        if (sinceText != null) {
            try {
                since = Instant.parse(sinceText);
            } catch (DateTimeParseException e) {
                problems.add("attachment.since: " + show(sinceText)
                        + " (expected: an ISO-8601 instant in UTC, like \"2030-01-02T03:04:05.678Z\")");
            }
        }
        int[] indexes = indexes(object, problems);
        InetSocketAddress endpoint = null;
        String endpointText = text(object, "endpoint", problems);
        if (endpointText != null) {
            endpoint = HostPort.parse(endpointText, 1);
            if (endpoint == null) {
                problems.add("attachment.endpoint: " + show(endpointText)
                        + " (expected: ip:port, an IPv6 address in brackets)");
            }
        }
        if (!problems.isEmpty() || pop == null || since == null || indexes == null || endpoint == null) {
            return invalid(Reason.INVALID, String.join("; ", problems));
        }
        return new Decoded.Put(new Attachment(operator, pop, since, indexes, endpoint));
    }

    private static Decoded.Invalid invalid(Reason reason, String message) {
        return new Decoded.Invalid(reason, message);
    }

    private static @Nullable String text(ObjectNode object, String field, List<String> problems) {
        JsonNode n = object.get(field);
        if (n == null || n.isNull()) {
            problems.add("attachment." + field + ": missing (expected: " + SHAPE + ")");
            return null;
        }
        if (!n.isString()) {
            problems.add("attachment." + field + ": " + n + " (expected: a string)");
            return null;
        }
        return n.stringValue();
    }

    private static int @Nullable [] indexes(ObjectNode object, List<String> problems) {
        String expectation = "a list of at most " + Attachment.MAX_RECEIVER_INDEXES
                + " receiver indexes, integers from 0 to 4294967295";
        JsonNode n = object.get("receiver_indexes");
        if (n == null || n.isNull()) {
            problems.add("attachment.receiver_indexes: missing (expected: " + expectation + ")");
            return null;
        }
        if (!(n instanceof ArrayNode array) || array.size() > Attachment.MAX_RECEIVER_INDEXES) {
            problems.add("attachment.receiver_indexes: " + abbreviate(n) + " (expected: " + expectation + ")");
            return null;
        }
        int[] indexes = new int[array.size()];
        for (int i = 0; i < array.size(); i++) {
            JsonNode e = array.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToLong() || e.longValue() < 0 || e.longValue() > 0xffffffffL) {
                problems.add("attachment.receiver_indexes[" + i + "]: " + abbreviate(e)
                        + " (expected: an integer from 0" + " to 4294967295)");
                return null;
            }
            indexes[i] = (int) e.longValue();
        }
        return indexes;
    }

    /** The record that publishes {@code attachment}. */
    static ProducerRecord<byte[], byte[]> put(String topic, Attachment attachment) {
        requireNonNull(attachment, "attachment");
        ObjectNode value = JsonBodies.MAPPER.createObjectNode();
        value.put("pop", attachment.pop());
        value.put("since", attachment.since().toString());
        ArrayNode indexes = value.putArray("receiver_indexes");
        for (int index : attachment.receiverIndexes()) {
            indexes.add(Integer.toUnsignedLong(index));
        }
        value.put("endpoint", HostPort.format(attachment.endpoint()));
        return record(topic, attachment.operator(), JsonBodies.MAPPER.writeValueAsBytes(value));
    }

    /** A tombstone: forgets the attachment of {@code operator}. */
    static ProducerRecord<byte[], byte[]> delete(String topic, String operator) {
        return record(topic, operator, null);
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String operator, byte @Nullable [] value) {
        requireNonNull(topic, "topic");
        requireNonNull(operator, "operator");
        Headers headers = new RecordHeaders();
        headers.add(FORMAT, FORMAT_VERSION.getBytes(StandardCharsets.US_ASCII));
        // One partition, like the directory's topic: every PoP applies the records in one order.
        return new ProducerRecord<>(topic, 0, operator.getBytes(StandardCharsets.UTF_8), value, headers);
    }

    /** The key as text for logs, whatever its bytes. */
    String keyText() {
        return key == null ? "(no key)" : show(new String(key, StandardCharsets.UTF_8));
    }

    private static @Nullable String utf8(byte[] bytes) {
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

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }

    /** Quoted, at most 100 characters, control characters and quotes escaped: safe in one log line. */
    static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(s.length() > 100 ? "...\"" : "\"").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttachmentRecord r
                && offset == r.offset
                && java.util.Arrays.equals(key, r.key)
                && java.util.Arrays.equals(value, r.value)
                && java.util.Objects.equals(format, r.format);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset) * 31 + java.util.Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "AttachmentRecord[offset=" + offset + ", key=" + keyText() + ", value="
                + (value == null ? "null" : value.length + " bytes") + ", format=" + format + "]";
    }
}
