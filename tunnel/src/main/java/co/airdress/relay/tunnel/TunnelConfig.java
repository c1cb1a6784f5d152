package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.ratelimit.SourcePrefix;
import co.airdress.relay.tunnel.timers.ProtocolTimers;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Set;

/**
 * The device-wide settings of a {@link WireGuardEngine}.
 *
 * @param privateKey this relay's static private key
 * @param tunnelAddresses the relay's own addresses inside the tunnel: the only inner destinations a
 *     peer's packet may have (isolation); anything else is dropped as
 *     {@link Drop#DESTINATION_NOT_ALLOWED}
 * @param mtu the TUN MTU; plaintext padding never goes beyond it (1420 as wg-quick)
 * @param maxQueuedPacketsPerPeer outbound packets held per peer while a handshake is in flight
 *     (oldest dropped beyond it)
 * @param handshakesPerSecondBeforeCookies handshake messages per second above which the device is
 *     under load and demands cookies (MAC2); 0 means always under load (tests)
 * @param ipv6SourcePrefix the IPv6 prefix length by which the handshake rate limiter counts
 *     sources ({@link SourcePrefix}; IPv4 sources are counted per address)
 * @param timers protocol timers; anything but {@link ProtocolTimers#STANDARD} is <b>for tests only</b>
 * @param allocator where outgoing datagrams and decrypted packets are allocated
 * @param random ephemeral keys, indices, cookie secrets, jitter
 * @param wallClock wall time for TAI64N timestamps and last-handshake stats (monotonic time is
 *     always passed in as {@code nowNanos})
 */
public record TunnelConfig(
        WireGuardKey privateKey,
        Set<InetAddress> tunnelAddresses,
        int mtu,
        int maxQueuedPacketsPerPeer,
        int handshakesPerSecondBeforeCookies,
        int ipv6SourcePrefix,
        ProtocolTimers timers,
        ByteBufAllocator allocator,
        SecureRandom random,
        InstantSource wallClock) {

    public static final int DEFAULT_MTU = 1420;
    public static final int DEFAULT_MAX_QUEUED_PACKETS = 16;
    public static final int DEFAULT_HANDSHAKES_PER_SECOND_BEFORE_COOKIES = 256;

    public TunnelConfig {
        requireNonNull(privateKey, "privateKey");
        tunnelAddresses = Set.copyOf(requireNonNull(tunnelAddresses, "tunnelAddresses"));
        requireNonNull(timers, "timers");
        requireNonNull(allocator, "allocator");
        requireNonNull(random, "random");
        requireNonNull(wallClock, "wallClock");
        if (mtu < 576 || mtu > 65535 - 32) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: 576..65503)");
        }
        if (maxQueuedPacketsPerPeer < 0) {
            throw new IllegalArgumentException(
                    "maxQueuedPacketsPerPeer: " + maxQueuedPacketsPerPeer + " (expected: >= 0)");
        }
        if (ipv6SourcePrefix < SourcePrefix.MIN_IPV6_LENGTH || ipv6SourcePrefix > SourcePrefix.MAX_IPV6_LENGTH) {
            throw new IllegalArgumentException("ipv6SourcePrefix: " + ipv6SourcePrefix + " (expected: "
                    + SourcePrefix.MIN_IPV6_LENGTH + ".." + SourcePrefix.MAX_IPV6_LENGTH + ")");
        }
        if (handshakesPerSecondBeforeCookies < 0) {
            throw new IllegalArgumentException(
                    "handshakesPerSecondBeforeCookies: " + handshakesPerSecondBeforeCookies + " (expected: >= 0)");
        }
    }

    /** Production defaults: MTU 1420, 16 queued packets, standard timers, pooled allocator, system clock. */
    public static TunnelConfig of(WireGuardKey privateKey, Set<InetAddress> tunnelAddresses) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                DEFAULT_MTU,
                DEFAULT_MAX_QUEUED_PACKETS,
                DEFAULT_HANDSHAKES_PER_SECOND_BEFORE_COOKIES,
                SourcePrefix.DEFAULT_IPV6_LENGTH,
                ProtocolTimers.STANDARD,
                ByteBufAllocator.DEFAULT,
                new SecureRandom(),
                InstantSource.system());
    }

    /** TEST ONLY when not {@link ProtocolTimers#STANDARD}. */
    public TunnelConfig withTimers(ProtocolTimers newTimers) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                mtu,
                maxQueuedPacketsPerPeer,
                handshakesPerSecondBeforeCookies,
                ipv6SourcePrefix,
                newTimers,
                allocator,
                random,
                wallClock);
    }

    public TunnelConfig withHandshakesPerSecondBeforeCookies(int threshold) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                mtu,
                maxQueuedPacketsPerPeer,
                threshold,
                ipv6SourcePrefix,
                timers,
                allocator,
                random,
                wallClock);
    }

    public TunnelConfig withIpv6SourcePrefix(int length) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                mtu,
                maxQueuedPacketsPerPeer,
                handshakesPerSecondBeforeCookies,
                length,
                timers,
                allocator,
                random,
                wallClock);
    }

    public TunnelConfig withAllocator(ByteBufAllocator newAllocator) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                mtu,
                maxQueuedPacketsPerPeer,
                handshakesPerSecondBeforeCookies,
                ipv6SourcePrefix,
                timers,
                newAllocator,
                random,
                wallClock);
    }

    public TunnelConfig withRandom(SecureRandom newRandom, InstantSource newWallClock) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                mtu,
                maxQueuedPacketsPerPeer,
                handshakesPerSecondBeforeCookies,
                ipv6SourcePrefix,
                timers,
                allocator,
                newRandom,
                newWallClock);
    }

    public TunnelConfig withMaxQueuedPacketsPerPeer(int max) {
        return new TunnelConfig(
                privateKey,
                tunnelAddresses,
                mtu,
                max,
                handshakesPerSecondBeforeCookies,
                ipv6SourcePrefix,
                timers,
                allocator,
                random,
                wallClock);
    }
}
