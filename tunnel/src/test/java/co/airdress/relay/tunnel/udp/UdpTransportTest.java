package co.airdress.relay.tunnel.udp;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

class UdpTransportTest {

    @Test
    void receivesAndAnswersIpv4AndIpv6Datagrams() throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<InetSocketAddress> senders = new LinkedBlockingQueue<>();
        try (UdpTransport udp = UdpTransport.bind(
                        0,
                        (content, sender) -> {
                            received.add(content.toString(StandardCharsets.UTF_8));
                            senders.add(sender);
                        },
                        Thread.ofPlatform().name("udp-test").factory());
                DatagramSocket v4 = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
                DatagramSocket v6 = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            assertThat(udp.nativeTransport()).isTrue();
            int port = udp.localPort();
            assertThat(port).isPositive();
            for (DatagramSocket socket : new DatagramSocket[] {v4, v6}) {
                byte[] hello = ("hello " + socket.getLocalAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
                socket.send(
                        new DatagramPacket(hello, hello.length, new InetSocketAddress(socket.getLocalAddress(), port)));
                Await.until(
                        Duration.ofSeconds(5), "datagram from " + socket.getLocalAddress(), () -> !received.isEmpty());
                assertThat(received.poll()).isEqualTo(new String(hello, StandardCharsets.UTF_8));
                InetSocketAddress sender = senders.poll();
                assertThat(sender.getPort()).isEqualTo(socket.getLocalPort());

                ByteBuf reply = Unpooled.directBuffer().writeBytes("pong".getBytes(StandardCharsets.UTF_8));
                udp.send(reply, sender);
                socket.setSoTimeout(5000);
                DatagramPacket answer = new DatagramPacket(new byte[64], 64);
                socket.receive(answer);
                assertThat(new String(answer.getData(), 0, answer.getLength(), StandardCharsets.UTF_8))
                        .isEqualTo("pong");
            }
        }
    }
}
