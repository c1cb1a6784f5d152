package co.airdress.relay.attach;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The attachments a PoP knows, without I/O: the records of the attachments' topic applied in offset
 * order, plus this PoP's own handshakes as it publishes them. Per operator the newest handshake
 * wins ({@link Attachment#supersedes}: the later {@code since}, then the PoP name that sorts last),
 * whatever order the records come in, so every PoP that reads the same records holds the same
 * attachments. A tombstone forgets the operator.
 *
 * <p>Receiver indexes map back to their operator while their attachment is in force; the indexes
 * of a superseded or forgotten attachment are forgotten with it. Two PoPs may issue the same index
 * (each picks its own at random): the index then names the operator of the attachment applied last.
 *
 * <p>Memory is bounded by the operators that attached (and at most
 * {@link Attachment#MAX_RECEIVER_INDEXES} indexes each), not by the size of the directory.
 *
 * <p>Thread-safe: one thread applies, any thread looks up.
 */
public final class Attachments {

    /** What applying one record, or one attachment, did. */
    public sealed interface Outcome {
        /** In force: {@code previous} (null: none) was replaced by {@code current} (null: forgotten). */
        record Applied(
                String operator,
                @Nullable Attachment previous,
                @Nullable Attachment current) implements Outcome {}

        /** An older handshake than the attachment in force, {@code inForce}: nothing changed. */
        record Stale(Attachment ignored, Attachment inForce) implements Outcome {}

        /** Not a valid record: nothing changed. */
        record Rejected(AttachmentRecord.Reason reason, String message) implements Outcome {}
    }

    private final Map<String, Attachment> byOperator = new HashMap<>();
    private final Map<Integer, String> byIndex = new HashMap<>();

    /** Applies one record of the topic. */
    public Outcome apply(AttachmentRecord record) {
        return switch (requireNonNull(record, "record").decode()) {
            case AttachmentRecord.Decoded.Invalid invalid -> new Outcome.Rejected(invalid.reason(), invalid.message());
            case AttachmentRecord.Decoded.Delete delete -> forget(delete.operator());
            case AttachmentRecord.Decoded.Put put -> put(put.attachment());
        };
    }

    /** Puts {@code attachment} in force unless the one in force for its operator supersedes it. */
    public synchronized Outcome put(Attachment attachment) {
        requireNonNull(attachment, "attachment");
        Attachment previous = byOperator.get(attachment.operator());
        if (previous != null && !attachment.supersedes(previous)) {
            return new Outcome.Stale(attachment, previous);
        }
        byOperator.put(attachment.operator(), attachment);
        if (previous != null) {
            forgetIndexes(previous);
        }
        for (int index : attachment.receiverIndexes()) {
            byIndex.put(index, attachment.operator());
        }
        return new Outcome.Applied(attachment.operator(), previous, attachment);
    }

    /** Forgets the attachment of {@code operator}, if any. */
    public synchronized Outcome forget(String operator) {
        Attachment previous = byOperator.remove(requireNonNull(operator, "operator"));
        if (previous != null) {
            forgetIndexes(previous);
        }
        return new Outcome.Applied(operator, previous, null);
    }

    private void forgetIndexes(Attachment attachment) {
        for (int index : attachment.receiverIndexes()) {
            byIndex.remove(index, attachment.operator());
        }
    }

    /** The attachment in force for {@code operator}, or null when it never attached (or was forgotten). */
    public synchronized @Nullable Attachment attachment(String operator) {
        return byOperator.get(requireNonNull(operator, "operator"));
    }

    /** The attachment in force that carries {@code receiverIndex}, or null. */
    public synchronized @Nullable Attachment attachmentOf(int receiverIndex) {
        String operator = byIndex.get(receiverIndex);
        return operator == null ? null : byOperator.get(operator);
    }

    /** The operator whose attachment in force carries {@code receiverIndex}, or null. */
    public synchronized @Nullable String operatorOf(int receiverIndex) {
        return byIndex.get(receiverIndex);
    }

    /** Operators with an attachment in force. */
    public synchronized int size() {
        return byOperator.size();
    }

    /** Receiver indexes that map to an operator. */
    synchronized int indexes() {
        return byIndex.size();
    }
}
