package co.airdress.relay.sni;

/** Why an HTTP/1.x request head was rejected; each maps to a 400 (stub: the parser's author completes the set). */
public enum MalformedHead {
    /** HTTP/1.1 request without a Host header. */
    MISSING_HOST,
    /** More than one Host header. */
    DUPLICATE_HOST,
    /** The Host value (or absolute-form authority) is not a valid host[:port]. */
    INVALID_HOST
}
