package co.airdress.relay.backhaul;

import co.airdress.relay.access.ConnectionRecord;
import co.airdress.relay.config.Operator;
import org.jspecify.annotations.Nullable;

/**
 * Which PoP an operator is attached to. Called on the event loop for every routed connection:
 * answers from memory, never blocks. {@link #LOCAL} (every operator here) is the behaviour of a
 * PoP without attachments.
 */
@FunctionalInterface
public interface AttachmentLookup {

    AttachmentLookup LOCAL = operator -> Attachment.LOCAL;

    Attachment attachment(String operator);

    /** The PoP {@code operator} is attached at when that is another PoP than {@code self}, else null. */
    default @Nullable String attachedElsewhere(String operator, String self) {
        return attachment(operator) instanceof Attachment.AtPop(String pop) && !pop.equals(self) ? pop : null;
    }

    /**
     * Whether the connection of {@code record}, dialed through the tunnel of this PoP ({@code self}),
     * can no longer finish here: its operator has attached at another PoP since, and its replies go
     * there. A drain closes such connections at once instead of waiting out its timeout.
     */
    default boolean strandedAt(ConnectionRecord record, String self) {
        Operator op = record.operator();
        return op != null && record.throughTunnel() && attachedElsewhere(op.name(), self) != null;
    }
}
