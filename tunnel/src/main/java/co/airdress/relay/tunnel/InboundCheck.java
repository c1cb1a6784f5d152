package co.airdress.relay.tunnel;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a decrypted packet must be before it reaches the TUN device: a well-formed IPv4 or IPv6
 * header whose length fits what was decrypted, a source inside the sending peer's allowed IPs
 * (cryptokey routing, inbound), and one of the relay's own tunnel addresses as destination, so
 * the engine never forwards between peers. Reads the packet in place; owner thread only.
 */
final class InboundCheck {

    private final int[] ownV4;
    private final byte[][] ownV6;
    private final byte[] scratch4 = new byte[4];
    private final byte[] scratch16 = new byte[16];

    InboundCheck(Set<InetAddress> ownAddresses) {
        this.ownV4 = ownAddresses.stream()
                .filter(a -> a instanceof Inet4Address)
                .mapToInt(a -> IpPrefix.low32(a.getAddress()))
                .toArray();
        this.ownV6 = ownAddresses.stream()
                .filter(a -> !(a instanceof Inet4Address))
                .map(InetAddress::getAddress)
                .toArray(byte[][]::new);
    }

    /**
     * Null when {@code plain}'s first {@code available} bytes (padding included) hold a packet
     * {@code peer} may deliver; otherwise why not. Its length is then {@link #length}.
     */
    @Nullable
    Drop check(PeerSession peer, ByteBuf plain, int available) {
        int version = (plain.getByte(0) & 0xff) >>> 4;
        byte[] source;
        boolean ownDestination = false;
        if (version == 4 && available >= 20) {
            int length = plain.getUnsignedShort(2);
            int headerLength = (plain.getByte(0) & 0x0f) * 4;
            if (headerLength < 20 || length < headerLength || length > available) {
                return Drop.INVALID_INNER_PACKET;
            }
            plain.getBytes(12, scratch4);
            source = scratch4;
            int destination = plain.getInt(16);
            for (int own : ownV4) {
                ownDestination |= own == destination;
            }
        } else if (version == 6 && available >= 40) {
            if (length(plain) > available) {
                return Drop.INVALID_INNER_PACKET;
            }
            plain.getBytes(8, scratch16);
            source = scratch16;
            for (byte[] own : ownV6) {
                boolean same = true;
                for (int i = 0; i < 16; i++) {
                    same &= plain.getByte(24 + i) == own[i];
                }
                ownDestination |= same;
            }
        } else {
            return Drop.INVALID_INNER_PACKET;
        }
        if (!peer.allows(source)) {
            return Drop.SOURCE_NOT_ALLOWED;
        }
        if (!ownDestination) {
            return Drop.DESTINATION_NOT_ALLOWED;
        }
        return null;
    }

    /** The length its IP header gives a packet that passed {@link #check}: without the padding. */
    static int length(ByteBuf plain) {
        return (plain.getByte(0) & 0xf0) == 0x40 ? plain.getUnsignedShort(2) : 40 + plain.getUnsignedShort(4);
    }
}
