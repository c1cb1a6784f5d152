package co.airdress.relay.sni;

/**
 * Why a TLS handshake was rejected as malformed. Every value is final: the connection should be
 * closed (or answered with a TLS alert), never routed.
 */
public enum MalformedHello {
    /** A later record is not a handshake record (e.g. an alert) before the ClientHello is complete. */
    RECORD_TYPE,
    /** A later record's version major is not 3 (netty#9933 looped forever on this). */
    RECORD_VERSION,
    /** A record declares 0 bytes (RFC 8446 §5.1 forbids empty handshake fragments) or more than 2^14. */
    RECORD_LENGTH,
    /** The first handshake message is not a ClientHello (type 1). */
    NOT_CLIENT_HELLO,
    /** A length field points past its enclosing block (hello, extensions block, extension). */
    LENGTH_OVERRUN,
    /** A length field ends before its enclosing block does, leaving bytes unaccounted for. */
    LENGTH_MISMATCH,
    /** legacy_session_id is longer than 32 bytes. */
    SESSION_ID_TOO_LONG,
    /** cipher_suites is empty or has an odd length. */
    CIPHER_SUITES_LENGTH,
    /** legacy_compression_methods is empty. */
    COMPRESSION_METHODS_LENGTH,
    /** server_name, ALPN, supported_versions or encrypted_client_hello appears twice (RFC 8446 §4.2). */
    DUPLICATE_EXTENSION,
    /** The server_name list is empty. */
    EMPTY_SERVER_NAME_LIST,
    /** The server_name list holds two host_name entries (RFC 6066 §3). */
    DUPLICATE_SNI,
    /** The host_name is empty (or only a dot). */
    EMPTY_HOST,
    /** The server_name host is not a valid DNS name under our rules (see the README). */
    INVALID_HOST,
    /** The ALPN list, or one protocol name in it, is empty (RFC 7301 §3.1). */
    INVALID_ALPN,
    /** supported_versions is empty or has an odd length (RFC 8446 §4.2.1). */
    INVALID_SUPPORTED_VERSIONS
}
