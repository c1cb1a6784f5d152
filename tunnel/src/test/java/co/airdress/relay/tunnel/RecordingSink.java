package co.airdress.relay.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A sink that copies what it is given into arrays and releases the buffers at once. */
final class RecordingSink implements TunnelSink {

    record Datagram(InetSocketAddress to, byte[] bytes) {
        int type() {
            return bytes[0];
        }
    }

    record Delivered(WireGuardKey peer, byte[] packet) {}

    record Dropped(Drop reason, @Nullable WireGuardKey peer) {}

    final List<Datagram> sent = new ArrayList<>();
    final List<Delivered> delivered = new ArrayList<>();
    final List<Dropped> dropped = new ArrayList<>();

    @Override
    public void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram) {
        try {
            sent.add(new Datagram(endpoint, ByteBufUtil.getBytes(datagram)));
        } finally {
            datagram.release();
        }
    }

    @Override
    public void deliverToTun(WireGuardKey peer, ByteBuf ipPacket) {
        try {
            delivered.add(new Delivered(peer, ByteBufUtil.getBytes(ipPacket)));
        } finally {
            ipPacket.release();
        }
    }

    @Override
    public void dropped(Drop reason, @Nullable WireGuardKey peer) {
        dropped.add(new Dropped(reason, peer));
    }

    List<Datagram> take() {
        List<Datagram> out = List.copyOf(sent);
        sent.clear();
        return out;
    }

    List<Delivered> takeDelivered() {
        List<Delivered> out = List.copyOf(delivered);
        delivered.clear();
        return out;
    }

    List<Drop> takeDrops() {
        List<Drop> out = dropped.stream().map(Dropped::reason).toList();
        dropped.clear();
        return out;
    }
}
