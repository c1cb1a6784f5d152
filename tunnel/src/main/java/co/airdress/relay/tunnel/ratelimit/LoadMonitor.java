package co.airdress.relay.tunnel.ratelimit;

/**
 * Decides when the device is "under load" and must demand cookies. wireguard-go looks at its
 * handshake queue depth; a sans-IO engine has no queue, so this counts handshake messages per
 * second instead (boringtun does the same): above the threshold the device is under load, and
 * stays so for one second after the rate last exceeded it (wireguard-go's UnderLoadAfterTime).
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class LoadMonitor {

    private static final long SECOND = 1_000_000_000L;

    private final int threshold;
    private long windowStart;
    private int count;
    private boolean everLoaded;
    private long underLoadUntil;

    /** {@code threshold}: handshake messages per second tolerated before cookies are required; 0 = always. */
    public LoadMonitor(int threshold) {
        this.threshold = threshold;
    }

    /** Records one handshake message and says whether the device is under load now. */
    public boolean onHandshakeMessage(long nowNanos) {
        if (threshold == 0) {
            return true;
        }
        if (nowNanos - windowStart >= SECOND) {
            windowStart = nowNanos;
            count = 0;
        }
        if (++count > threshold) {
            everLoaded = true;
            underLoadUntil = nowNanos + SECOND;
        }
        return everLoaded && nowNanos - underLoadUntil < 0;
    }
}
