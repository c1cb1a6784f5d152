package co.airdress.relay.anycast;

/** How one {@code /readyz} probe ended, as far as the announcement is concerned. */
enum ProbeOutcome {
    /** 200 with {@code "status":"UP"}. */
    UP,
    /** 503 with {@code "status":"DRAINING"}: a planned drain, acted on at first sighting. */
    DRAINING,
    /** 503 with {@code "status":"DOWN"}. */
    DOWN,
    /** No complete answer within the probe timeout (a hung relay JVM looks like this). */
    TIMEOUT,
    /** Connection refused: nothing listens on the management address. */
    REFUSED,
    /** Anything else: other status codes, unparsable bodies, resets. */
    BAD_RESPONSE;

    /** Whether this outcome counts towards {@code fall}. */
    boolean isFailure() {
        return this != UP && this != DRAINING;
    }
}
