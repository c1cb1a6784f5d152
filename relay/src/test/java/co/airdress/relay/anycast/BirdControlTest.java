package co.airdress.relay.anycast;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BirdControlTest {

    @TempDir
    Path dir;

    private static BirdReply answered(BirdResult r) {
        assertThat(r).isInstanceOf(BirdResult.Answered.class);
        return ((BirdResult.Answered) r).reply();
    }

    /** A real BIRD with just the VIP's static protocol, in its own namespace. */
    private ExternalProcess startBird(NetworkNamespace ns, Path conf, Path socket) throws IOException {
        // A killed BIRD leaves its socket file behind; wait for the new one.
        Files.deleteIfExists(socket);
        ExternalProcess bird = ns.start(
                "bird",
                "bird",
                "-f",
                "-c",
                conf.toString(),
                "-s",
                socket.toString(),
                "-P",
                dir.resolve("bird.pid").toString());
        Await.until(Duration.ofSeconds(10), "bird control socket", () -> {
            if (!bird.process().isAlive()) {
                throw new AssertionError("bird exited: " + bird.output());
            }
            // The socket file appears at bind(), a moment before listen(): wait for an answer.
            try (BirdControl probe = new BirdControl(socket, Duration.ofSeconds(1))) {
                return Files.exists(socket) && probe.command("show status") instanceof BirdResult.Answered;
            }
        });
        return bird;
    }

    @Test
    void drivesARealBirdByReplyCodes() throws IOException {
        Prerequisites.networkNamespaces();
        Prerequisites.tool("bird");
        Path state = dir.resolve("vip-state.conf");
        new VipStateFile(state).write(BirdAction.WITHDRAW);
        Path conf = dir.resolve("bird.conf");
        Files.writeString(conf, """
                router id 10.255.0.11;
                include "vip-state.conf";
                protocol device { scan time 10; }
                protocol static vip { disabled VIP_DISABLED; ipv4; route 192.0.2.1/32 blackhole; }
                """);
        Path socket = dir.resolve("bird.ctl");
        try (NetworkNamespace ns = NetworkNamespace.create("ac-ctl");
                BirdControl bird = new BirdControl(socket, Duration.ofSeconds(2))) {
            ExternalProcess process = startBird(ns, conf, socket);
            try {
                assertThat(answered(bird.showProtocol("vip")).protocolState("vip"))
                        .contains("down");
                assertThat(bird.generation()).isEqualTo(1);

                BirdReply enabled = answered(bird.enable("vip"));
                assertThat(enabled.has(BirdReply.ENABLED)).isTrue();
                assertThat(enabled.finalCode()).isEqualTo(BirdReply.OK);
                assertThat(answered(bird.enable("vip")).has(BirdReply.ALREADY_ENABLED))
                        .isTrue();
                assertThat(answered(bird.showProtocol("vip")).protocolState("vip"))
                        .contains("up");
                assertThat(answered(bird.disable("vip")).has(BirdReply.DISABLED))
                        .isTrue();
                assertThat(answered(bird.disable("vip")).has(BirdReply.ALREADY_DISABLED))
                        .isTrue();

                BirdReply configured = answered(bird.configure());
                assertThat(configured.has(BirdReply.READING_CONFIGURATION)).isTrue();
                assertThat(configured.finalCode()).isEqualTo(BirdReply.RECONFIGURED);

                // An enabled VIP survives `configure` because the state file carries the switch.
                new VipStateFile(state).write(BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN);
                answered(bird.enable("vip"));
                String since = answered(bird.showProtocol("vip")).lines().get(1).text();
                assertThat(answered(bird.configure()).isError()).isFalse();
                assertThat(answered(bird.showProtocol("vip")).lines().get(1).text())
                        .as("not restarted by configure")
                        .isEqualTo(since);

                // A broken state file: configure is refused with a run-time error code, state kept.
                Files.writeString(state, "define VIP_STATE = ;\n");
                BirdReply refused = answered(bird.configure());
                assertThat(refused.isError()).isTrue();
                assertThat(refused.finalCode()).isEqualTo(8002);
                assertThat(answered(bird.showProtocol("vip")).protocolState("vip"))
                        .contains("up");

                assertThat(answered(bird.command("show protocols nosuchproto")).isError())
                        .isTrue();
                assertThat(answered(bird.command("no such command")).finalCode())
                        .isBetween(9000, 9999);
                assertThat(answered(bird.command("show status")).finalCode()).isEqualTo(13);

                // BIRD restarts: the next command fails over to a new connection.
                new VipStateFile(state).write(BirdAction.WITHDRAW);
                process.process().destroyForcibly().waitFor();
                assertThat(bird.showProtocol("vip")).isInstanceOf(BirdResult.Unreachable.class);
                assertThat(bird.isConnected()).isFalse();
                process = startBird(ns, conf, socket);
                assertThat(answered(bird.showProtocol("vip")).protocolState("vip"))
                        .contains("down");
                assertThat(bird.generation()).isEqualTo(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } finally {
                process.close();
            }
        }
    }

    @Test
    void noSocketIsUnreachable() {
        try (BirdControl bird = new BirdControl(dir.resolve("missing.ctl"), Duration.ofMillis(200))) {
            BirdResult r = bird.showProtocol("vip");
            assertThat(r).isInstanceOf(BirdResult.Unreachable.class);
            assertThat(((BirdResult.Unreachable) r).cause()).contains("show protocols vip");
            assertThat(bird.generation()).isZero();
        }
    }

    /**
     * A scripted peer on a Unix socket: sends {@code script} one byte per write (every
     * fragmentation point), to test framing and deadlines of the client, not BIRD's behaviour.
     */
    private Thread scripted(
            Path socket, String greeting, String reply, boolean hangAfterGreeting, AtomicReference<String> received)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = Thread.ofVirtual().start(() -> {
            try (server;
                    SocketChannel peer = server.accept()) {
                dribble(peer, greeting);
                if (hangAfterGreeting) {
                    peer.read(ByteBuffer.allocate(1024));
                    Thread.sleep(Duration.ofSeconds(5));
                    return;
                }
                ByteBuffer in = ByteBuffer.allocate(1024);
                peer.read(in);
                received.set(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
                dribble(peer, reply);
            } catch (IOException | InterruptedException ignored) {
                // The client hung up (deadline test); nothing to check here.
            }
        });
        return t;
    }

    private static void dribble(SocketChannel peer, String text) throws IOException {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            peer.write(ByteBuffer.wrap(new byte[] {b}));
        }
    }

    @Test
    void parsesContinuationAndSpontaneousLinesFedOneByteAtATime() throws Exception {
        Path socket = dir.resolve("scripted.ctl");
        AtomicReference<String> received = new AtomicReference<>();
        // Reply shape as BIRD 2.0.12 sends for `show protocols all vip` (captured in this lab).
        Thread peer = scripted(
                socket,
                "0001 BIRD 2.0.12 ready.\n",
                "2002-Name       Proto      Table      State  Since         Info\n"
                        + "+spontaneous log line\n"
                        + "1002-vip        Static     master4    up     02:46:03.737  \n"
                        + "1006-  Channel ipv4\n"
                        + "     State:          UP\n"
                        + " \n"
                        + "0000 \n",
                false,
                received);
        try (BirdControl bird = new BirdControl(socket, Duration.ofSeconds(5))) {
            BirdReply reply = answered(bird.showProtocol("vip"));
            assertThat(received.get()).isEqualTo("show protocols vip\n");
            assertThat(reply.protocolState("vip")).contains("up");
            assertThat(reply.lines()).extracting(BirdReply.Line::code).containsExactly(2002, 1002, 1006, 1006, 1006, 0);
            assertThat(reply.lines().get(3).text()).isEqualTo("    State:          UP");
            assertThat(reply.finalCode()).isZero();
        }
        peer.join();
    }

    @Test
    void aSilentPeerHitsTheDeadline() throws Exception {
        Path socket = dir.resolve("silent.ctl");
        Thread peer = scripted(socket, "0001 BIRD 2.0.12 ready.\n", "", true, new AtomicReference<>());
        try (BirdControl bird = new BirdControl(socket, Duration.ofMillis(300))) {
            long start = System.nanoTime();
            BirdResult r = bird.command("show status");
            assertThat(r).isInstanceOf(BirdResult.Unreachable.class);
            assertThat(((BirdResult.Unreachable) r).cause()).contains("timed out");
            assertThat(bird.isConnected()).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
        peer.interrupt();
        peer.join();
    }

    @Test
    void garbageIsNotAReply() throws Exception {
        Path socket = dir.resolve("garbage.ctl");
        Thread peer =
                scripted(socket, "0001 BIRD 2.0.12 ready.\n", "HTTP/1.1 200 OK\n", false, new AtomicReference<>());
        try (BirdControl bird = new BirdControl(socket, Duration.ofSeconds(2))) {
            BirdResult r = bird.command("show status");
            assertThat(r).isInstanceOf(BirdResult.Unreachable.class);
            assertThat(((BirdResult.Unreachable) r).cause()).contains("malformed reply line");
        }
        peer.join();
    }

    @Test
    void aWrongGreetingIsRejected() throws Exception {
        Path socket = dir.resolve("greeting.ctl");
        Thread peer = scripted(socket, "8007 Access denied\n", "", true, new AtomicReference<>());
        try (BirdControl bird = new BirdControl(socket, Duration.ofSeconds(2))) {
            BirdResult r = bird.command("show status");
            assertThat(r).isInstanceOf(BirdResult.Unreachable.class);
            assertThat(((BirdResult.Unreachable) r).cause()).contains("unexpected greeting");
        }
        peer.interrupt();
        peer.join();
    }
}
