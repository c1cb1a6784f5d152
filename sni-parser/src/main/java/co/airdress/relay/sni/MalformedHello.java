package co.airdress.relay.sni;

/** Why a TLS handshake was rejected as malformed (stub: the parser's author completes the set). */
public enum MalformedHello {
    /** A length field points past its enclosing block. */
    LENGTH_OVERRUN,
    /** The first handshake message is not a ClientHello. */
    NOT_CLIENT_HELLO,
    /** The server_name host is not a valid DNS name under our rules. */
    INVALID_HOST
}
