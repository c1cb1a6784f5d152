/**
 * Attachments: which PoP each operator's WireGuard tunnel is attached to, shared by every PoP of a
 * network through a compacted Kafka topic (docs/directory.md, "Attachments").
 * {@link co.airdress.relay.attach.Attachments} is the sans-IO rule (newest handshake wins, receiver
 * indexes of superseded attachments forgotten), {@code AttachmentRecord} the topic's format,
 * {@link co.airdress.relay.attach.KafkaAttachments} reads the topic into the state and publishes
 * this PoP's own handshakes ({@link co.airdress.relay.attach.KafkaAttachments#publishLocal}).
 */
@NullMarked
package co.airdress.relay.attach;

import org.jspecify.annotations.NullMarked;
