package co.airdress.relay.anycast;

/**
 * The closed set of things the controller asks of BIRD. The number is the {@code VIP_STATE}
 * constant written to the state include file (see {@code docker/bird/README.md}).
 */
enum BirdAction {
    /** Announce the VIP normally. */
    ANNOUNCE(0),
    /** Keep announcing, with community 65535:0 (RFC 8326) and AS-path prepends, so peers move away first. */
    ANNOUNCE_GRACEFUL_SHUTDOWN(1),
    /** Withdraw the VIP. */
    WITHDRAW(2);

    private final int vipState;

    BirdAction(int vipState) {
        this.vipState = vipState;
    }

    int vipState() {
        return vipState;
    }

    boolean announces() {
        return this != WITHDRAW;
    }
}
