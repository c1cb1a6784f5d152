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
                            senders.add(sender); // before the content, which the test awaits
                            received.add(content.toString(StandardCharsets.UTF_8));
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

    @Test
    void oneSocketPerAddressAndRepliesLeaveFromTheSocketNamed() throws Exception {
        LinkedBlockingQueue<Integer> sockets = new LinkedBlockingQueue<>();
        UdpTransport.Receiver receiver = new UdpTransport.Receiver() {
            @Override
            public void onDatagram(ByteBuf content, InetSocketAddress sender) {
                throw new AssertionError("the socket's number is given");
            }

            @Override
            public void onDatagram(ByteBuf content, InetSocketAddress sender, int socket) {
                sockets.add(socket);
            }
        };
        InetAddress v4Address = InetAddress.ofLiteral("127.0.0.1");
        InetAddress v6Address = InetAddress.ofLiteral("::1");
        try (UdpTransport udp = UdpTransport.bind(
                        java.util.List.of(v4Address, v6Address),
                        0,
                        receiver,
                        Thread.ofPlatform().name("udp-test").factory());
                DatagramSocket v4 = new DatagramSocket(new InetSocketAddress(v4Address, 0));
                DatagramSocket v6 = new DatagramSocket(new InetSocketAddress(v6Address, 0))) {
            int port = udp.localPort();
            assertThat(udp.localAddresses())
                    .containsExactly(new InetSocketAddress(v4Address, port), new InetSocketAddress(v6Address, port));
            DatagramSocket[] clients = {v4, v6};
            for (int i = 0; i < clients.length; i++) {
                DatagramSocket client = clients[i];
                byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
                client.send(
                        new DatagramPacket(hello, hello.length, new InetSocketAddress(client.getLocalAddress(), port)));
                Await.until(Duration.ofSeconds(5), "datagram on socket " + i, () -> !sockets.isEmpty());
                assertThat(sockets.poll()).isEqualTo(i);

                udp.write(
                        Unpooled.directBuffer().writeBytes("pong".getBytes(StandardCharsets.UTF_8)),
                        (InetSocketAddress) client.getLocalSocketAddress(),
                        i);
                udp.flush();
                client.setSoTimeout(5000);
                DatagramPacket answer = new DatagramPacket(new byte[64], 64);
                client.receive(answer);
                assertThat(answer.getSocketAddress())
                        .isEqualTo(udp.localAddresses().get(i));
            }
        }
    }
}
