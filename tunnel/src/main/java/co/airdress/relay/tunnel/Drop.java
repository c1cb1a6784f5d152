package co.airdress.relay.tunnel;

/** Why the engine discarded a datagram or packet. Each is counted per peer (when known) and per device. */
public enum Drop {
    /** Too short, wrong length for its type, or an unknown message type. */
    MALFORMED,
    /** A handshake message whose MAC1 is not for our public key. */
    MAC1_INVALID,
    /** Under load and MAC2 missing or stale: answered with a cookie reply instead of processing. */
    COOKIE_REQUIRED,
    /** Under load and the source exceeded its handshake budget (20/s, burst 5). */
    RATE_LIMITED,
    /** A handshake message that does not decrypt, names an unknown peer, or does not fit our state. */
    HANDSHAKE_INVALID,
    /** An initiation whose timestamp is not newer than the last accepted one (replayed initiation). */
    HANDSHAKE_REPLAYED,
    /** An initiation less than 20 ms after the previous accepted one from the same peer. */
    HANDSHAKE_FLOOD,
    /**
     * An initiation from a key the peer lookup knows, refused because the peers created just in
     * time are at their bound ({@link PeerPolicy#maxActivePeers}).
     */
    PEER_LIMIT,
    /** A cookie reply that does not authenticate or answers nothing we sent. */
    COOKIE_REPLY_INVALID,
    /** A transport or response message for a receiver index we do not have. */
    UNKNOWN_INDEX,
    /** A transport message for a keypair past REJECT_AFTER_TIME. */
    KEYPAIR_EXPIRED,
    /** A transport message that fails authentication. */
    DECRYPT_FAILED,
    /** A transport counter already seen or behind the replay window. */
    REPLAYED,
    /** A decrypted packet that is not a well-formed IPv4/IPv6 header. */
    INVALID_INNER_PACKET,
    /** A decrypted packet whose source is outside the sending peer's allowed IPs. */
    SOURCE_NOT_ALLOWED,
    /** A decrypted packet addressed to anything but the relay's own tunnel address (isolation). */
    DESTINATION_NOT_ALLOWED,
    /** An outbound packet whose destination belongs to no peer. */
    NO_ROUTE,
    /** An outbound packet for a peer with no session and no endpoint to initiate to. */
    NO_ENDPOINT,
    /** An outbound packet pushed out of a full per-peer queue while a handshake was pending. */
    QUEUE_FULL,
    /** Queued packets discarded because the handshake was given up or the peer removed. */
    HANDSHAKE_GAVE_UP
}
