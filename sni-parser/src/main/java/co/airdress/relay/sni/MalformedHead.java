package co.airdress.relay.sni;

/** Why an HTTP/1.x request head was rejected; each maps to a 400 Bad Request. */
public enum MalformedHead {
    /** HTTP/1.1 request without a Host header (RFC 9112 §3.2). */
    MISSING_HOST,
    /** More than one Host header (RFC 9112 §3.2). */
    DUPLICATE_HOST,
    /** The Host value (or absolute-form authority) is not a valid host[:port] under our rules. */
    INVALID_HOST,
    /** The request line is not method SP request-target SP HTTP/1.d CRLF. */
    INVALID_REQUEST_LINE,
    /** A header field name is empty or holds a non-token byte. */
    INVALID_HEADER_NAME,
    /** Whitespace between a field name and the colon (RFC 9112 §5.1; a smuggling vector). */
    WHITESPACE_BEFORE_COLON,
    /** A header line starts with whitespace: obsolete line folding (RFC 9112 §5.2). */
    OBS_FOLD,
    /** A NUL byte anywhere in the head. */
    NUL,
    /** A control character other than HTAB in the request target or a field value. */
    CONTROL_CHARACTER,
    /** A CR not followed by LF (RFC 9112 §2.2). */
    BARE_CR,
    /** A LF not preceded by CR: allowed by RFC 9112 §2.2 as a MAY, refused here so that we never read the head differently from the backend. */
    BARE_LF
}
