package co.airdress.relay.anycast;

/** The states of {@link AnnouncementPolicy}; each maps to exactly one {@link BirdAction} wanted in BIRD. */
enum PolicyState {
    /** Not announced; no healthy streak yet. */
    WITHDRAWN(BirdAction.WITHDRAW),
    /** Not announced; counting consecutive healthy probes towards {@code rise}. */
    RISING(BirdAction.WITHDRAW),
    /** Not announced; {@code rise} reached but the flap back-off still holds the announcement. */
    HOLDING(BirdAction.WITHDRAW),
    /** Announced normally. */
    ANNOUNCED(BirdAction.ANNOUNCE),
    /** Announced; counting consecutive failures towards {@code fall}. */
    FALLING(BirdAction.ANNOUNCE),
    /** Announced with GRACEFUL_SHUTDOWN and prepends until the drain delay ends. */
    DRAINING_ANNOUNCED(BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN),
    /** Withdrawn because the relay drained (planned; does not count as a flap). */
    DRAINED(BirdAction.WITHDRAW);

    private final BirdAction wanted;

    PolicyState(BirdAction wanted) {
        this.wanted = wanted;
    }

    /** What BIRD must be doing while the policy is in this state. */
    BirdAction wanted() {
        return wanted;
    }
}
