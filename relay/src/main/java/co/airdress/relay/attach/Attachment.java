package co.airdress.relay.attach;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Arrays;

/**
 * Where an operator's tunnel is attached: the PoP that completed its newest handshake.
 *
 * @param operator the operator's name (the record's key)
 * @param pop the PoP that completed the handshake
 * @param since when the handshake completed, by that PoP's clock
 * @param receiverIndexes the receiver indexes that PoP issued to the operator (WireGuard's 32-bit
 *     indexes, as Java's signed ints); a copy is kept and given
 * @param endpoint the operator's outer address as the PoP saw it
 */
public record Attachment(
        String operator, String pop, Instant since, int[] receiverIndexes, InetSocketAddress endpoint) {

    /** The most receiver indexes a record may carry (a PoP issues one per handshake, keeps a few). */
    public static final int MAX_RECEIVER_INDEXES = 16;

    public Attachment {
        requireNonNull(operator, "operator");
        requireNonNull(pop, "pop");
        requireNonNull(since, "since");
        receiverIndexes = requireNonNull(receiverIndexes, "receiverIndexes").clone();
        requireNonNull(endpoint, "endpoint");
        if (receiverIndexes.length > MAX_RECEIVER_INDEXES) {
            throw new IllegalArgumentException(
                    "receiverIndexes: " + receiverIndexes.length + " (expected: at most " + MAX_RECEIVER_INDEXES + ")");
        }
    }

    @Override
    public int[] receiverIndexes() {
        return receiverIndexes.clone();
    }

    /**
     * Whether this attachment wins over {@code other} of the same operator: the newer handshake,
     * and for the same instant the PoP whose name sorts last, so every PoP picks the same one
     * whatever order it learns them in. An attachment equal in both wins (a later record of the
     * same handshake replaces it).
     */
    boolean supersedes(Attachment other) {
        int bySince = since.compareTo(other.since);
        if (bySince != 0) {
            return bySince > 0;
        }
        return pop.compareTo(other.pop) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attachment a
                && operator.equals(a.operator)
                && pop.equals(a.pop)
                && since.equals(a.since)
                && Arrays.equals(receiverIndexes, a.receiverIndexes)
                && endpoint.equals(a.endpoint);
    }

    @Override
    public int hashCode() {
        return (operator.hashCode() * 31 + pop.hashCode()) * 31 + since.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Attachment[operator=")
                .append(operator)
                .append(", pop=")
                .append(pop)
                .append(", since=")
                .append(since)
                .append(", receiverIndexes=[");
        for (int i = 0; i < receiverIndexes.length; i++) {
            b.append(i == 0 ? "" : ", ").append(Integer.toUnsignedString(receiverIndexes[i]));
        }
        return b.append("], endpoint=").append(endpoint).append(']').toString();
    }
}
