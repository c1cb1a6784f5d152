package co.airdress.relay.backhaul;

/**
 * Which PoP an operator is attached to. Called on the event loop for every routed connection:
 * answers from memory, never blocks. {@link #LOCAL} (every operator here) is the behaviour of a
 * PoP without attachments.
 */
@FunctionalInterface
public interface AttachmentLookup {

    AttachmentLookup LOCAL = operator -> Attachment.LOCAL;

    Attachment attachment(String operator);
}
