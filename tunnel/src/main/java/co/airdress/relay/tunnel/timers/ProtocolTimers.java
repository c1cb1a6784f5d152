package co.airdress.relay.tunnel.timers;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * WireGuard's protocol time constants (whitepaper §6, wireguard-go {@code constants.go}).
 * {@link #STANDARD} is what every deployment uses; other values exist <b>for tests only</b>, so
 * that rekey and reject behaviour can be exercised with short timers (a peer with non-standard
 * timers still interoperates, but rekeys at odd moments).
 */
public record ProtocolTimers(
        Duration rekeyAfterTime,
        Duration rejectAfterTime,
        Duration rekeyAttemptTime,
        Duration rekeyTimeout,
        Duration rekeyTimeoutJitterMax,
        Duration keepaliveTimeout,
        Duration cookieRefreshTime,
        Duration handshakeInitiationRate,
        long rekeyAfterMessages,
        long rejectAfterMessages) {

    public static final ProtocolTimers STANDARD = new ProtocolTimers(
            Duration.ofSeconds(120),
            Duration.ofSeconds(180),
            Duration.ofSeconds(90),
            Duration.ofSeconds(5),
            Duration.ofMillis(334),
            Duration.ofSeconds(10),
            Duration.ofSeconds(120),
            Duration.ofMillis(20),
            1L << 60,
            -(1L << 13) - 1);

    public ProtocolTimers {
        requireNonNull(rekeyAfterTime, "rekeyAfterTime");
        requireNonNull(rejectAfterTime, "rejectAfterTime");
        requireNonNull(rekeyAttemptTime, "rekeyAttemptTime");
        requireNonNull(rekeyTimeout, "rekeyTimeout");
        requireNonNull(rekeyTimeoutJitterMax, "rekeyTimeoutJitterMax");
        requireNonNull(keepaliveTimeout, "keepaliveTimeout");
        requireNonNull(cookieRefreshTime, "cookieRefreshTime");
        requireNonNull(handshakeInitiationRate, "handshakeInitiationRate");
    }

    /** TEST ONLY: these timers with a different message-count rekey threshold. */
    public ProtocolTimers withRekeyAfterMessages(long messages) {
        return new ProtocolTimers(
                rekeyAfterTime,
                rejectAfterTime,
                rekeyAttemptTime,
                rekeyTimeout,
                rekeyTimeoutJitterMax,
                keepaliveTimeout,
                cookieRefreshTime,
                handshakeInitiationRate,
                messages,
                rejectAfterMessages);
    }

    /** TEST ONLY: these timers with a different message-count limit on a keypair. */
    public ProtocolTimers withRejectAfterMessages(long messages) {
        return new ProtocolTimers(
                rekeyAfterTime,
                rejectAfterTime,
                rekeyAttemptTime,
                rekeyTimeout,
                rekeyTimeoutJitterMax,
                keepaliveTimeout,
                cookieRefreshTime,
                handshakeInitiationRate,
                rekeyAfterMessages,
                messages);
    }

    /** TEST ONLY: these timers with different rekey-after and reject-after times. */
    public ProtocolTimers withRekeyTimes(Duration rekeyAfter, Duration rejectAfter) {
        return new ProtocolTimers(
                rekeyAfter,
                rejectAfter,
                rekeyAttemptTime,
                rekeyTimeout,
                rekeyTimeoutJitterMax,
                keepaliveTimeout,
                cookieRefreshTime,
                handshakeInitiationRate,
                rekeyAfterMessages,
                rejectAfterMessages);
    }

    /** How many initiations are sent before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT (18). */
    public int maxTimerHandshakes() {
        return (int) (rekeyAttemptTime.toNanos() / rekeyTimeout.toNanos());
    }
}
