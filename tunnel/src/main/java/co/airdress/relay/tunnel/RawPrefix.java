package co.airdress.relay.tunnel;

/** An {@link IpPrefix} as raw bytes, for per-packet matching without allocation. */
final class RawPrefix {

    final byte[] address;
    final int length;

    RawPrefix(IpPrefix prefix) {
        this.address = prefix.address().getAddress();
        this.length = prefix.prefixLength();
    }

    boolean isHost() {
        return length == address.length * 8;
    }

    /** Whether {@code raw} (4 or 16 bytes) falls inside this prefix. */
    boolean contains(byte[] raw) {
        if (raw.length != address.length) {
            return false;
        }
        int full = length >>> 3;
        for (int i = 0; i < full; i++) {
            if (raw[i] != address[i]) {
                return false;
            }
        }
        int rest = length & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (raw[full] & mask) == (address[full] & mask);
    }

    /** The last four bytes as an int: the hash key of IPv6 host routes. */
    static int low32(byte[] raw) {
        int n = raw.length;
        return (raw[n - 4] & 0xff) << 24 | (raw[n - 3] & 0xff) << 16 | (raw[n - 2] & 0xff) << 8 | (raw[n - 1] & 0xff);
    }
}
