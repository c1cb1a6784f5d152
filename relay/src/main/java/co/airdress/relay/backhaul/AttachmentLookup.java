package co.airdress.relay.backhaul;

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
}
