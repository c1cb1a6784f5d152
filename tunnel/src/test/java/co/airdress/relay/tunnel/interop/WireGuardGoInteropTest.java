package co.airdress.relay.tunnel.interop;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.Await;
import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.PeerConfig;
import co.airdress.relay.tunnel.PeerStats;
import co.airdress.relay.tunnel.TunnelConfig;
import co.airdress.relay.tunnel.TunnelSink;
import co.airdress.relay.tunnel.WireGuardEngine;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The core against Debian's {@code wireguard-go} in a network namespace, across a veth: the test
 * JVM drives the core over a plain UDP socket and answers ICMP echoes itself (no TUN here).
 * Needs root, network namespaces, {@code wireguard-go}, {@code wg} and {@code ping}.
 */
class WireGuardGoInteropTest {

    private static final Duration STEP = Duration.ofSeconds(30);

    @Test
    void wireguardGoInitiatesAndPingsTheRelay() throws Exception {
        try (Rig rig = Rig.start(false, false, false)) {
            ExternalProcess.Result ping = rig.ns.execAllowingFailure(
                    Duration.ofSeconds(30), "ping", "-c", "3", "-i", "0.2", "-W", "5", rig.relayTunnelIp);
            assertThat(ping.exitCode())
                    .as("ping from wireguard-go's side:\n%s", ping.output())
                    .isZero();
            PeerStats stats = rig.tunnel.stats(rig.goPublic, System.nanoTime());
            assertThat(stats.handshakes()).isGreaterThanOrEqualTo(1);
            assertThat(stats.endpoint()).isNotNull();
            assertThat(rig.delivered).hasSizeGreaterThanOrEqualTo(3);
            assertThat(rig.wgShow()).contains("latest handshake");
        }
    }

    @Test
    void relayInitiatesAndGetsAnEchoReplyFromWireguardGosKernel() throws Exception {
        try (Rig rig = Rig.start(true, false, false)) {
            byte[] echo = IcmpEcho.request(rig.relayTunnelIp, rig.goTunnelIp, 0x4242, 1, 56);
            rig.outbound.add(echo);
            Await.until(
                    STEP,
                    "an echo reply from " + rig.goTunnelIp,
                    () -> rig.delivered.stream().anyMatch(p -> IcmpEcho.isReplyTo(p, echo)));
            assertThat(rig.tunnel.hasLiveSession(rig.goPublic, System.nanoTime()))
                    .isTrue();
        }
    }

    @Test
    void presharedKeyIsMixedAsWireguardGoDoes() throws Exception {
        try (Rig rig = Rig.start(false, true, false)) {
            ExternalProcess.Result ping = rig.ns.execAllowingFailure(
                    Duration.ofSeconds(30), "ping", "-c", "2", "-i", "0.2", "-W", "5", rig.relayTunnelIp);
            assertThat(ping.exitCode())
                    .as("ping with a pre-shared key:\n%s", ping.output())
                    .isZero();
        }
    }

    @Test
    void underLoadWireguardGoTakesOurCookieAndRetriesWithMac2() throws Exception {
        try (Rig rig = Rig.start(false, false, true)) {
            // The first initiation gets a cookie reply; wireguard-go retries after REKEY_TIMEOUT with MAC2.
            ExternalProcess.Result ping = rig.ns.execAllowingFailure(
                    Duration.ofSeconds(40), "ping", "-c", "1", "-W", "20", rig.relayTunnelIp);
            assertThat(ping.exitCode())
                    .as("ping through a cookie exchange:\n%s", ping.output())
                    .isZero();
            assertThat(rig.tunnel.drops()).containsKey(co.airdress.relay.tunnel.Drop.COOKIE_REQUIRED);
        }
    }

    /** A namespace with wireguard-go, a veth to the root namespace, and the core on a UDP socket. */
    private static final class Rig implements AutoCloseable {
        // Each rig gets its own names: a deleted namespace takes its veth with it only
        // asynchronously, so the next rig must not reuse the previous one's names.
        private static final AtomicInteger RIGS = new AtomicInteger();

        final NetworkNamespace ns;
        final String relayTunnelIp = "10.77.0.1";
        final String goTunnelIp = "10.77.0.2";
        final WireGuardKey goPublic;
        final WireGuardEngine tunnel;
        final List<byte[]> delivered = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<byte[]> outbound = new ConcurrentLinkedQueue<>();
        private final String wgIf;
        private final String hostIf;
        private final ExternalProcess wireguardGo;
        private final DatagramSocket socket;
        private final Thread loop;
        private volatile boolean running = true;
        private final Path keyFile;

        private Rig(
                NetworkNamespace ns,
                String hostIf,
                String wgIf,
                ExternalProcess wireguardGo,
                Path keyFile,
                WireGuardKey goPublic,
                WireGuardEngine tunnel,
                DatagramSocket socket) {
            this.ns = ns;
            this.hostIf = hostIf;
            this.wgIf = wgIf;
            this.wireguardGo = wireguardGo;
            this.keyFile = keyFile;
            this.goPublic = goPublic;
            this.tunnel = tunnel;
            this.socket = socket;
            this.loop = Thread.ofPlatform().name("tunnel-owner").daemon().unstarted(this::run);
        }

        static Rig start(boolean relayInitiates, boolean presharedKey, boolean alwaysUnderLoad) throws Exception {
            Prerequisites.networkNamespaces();
            Prerequisites.tool("wireguard-go");
            Prerequisites.tool("wg");
            Prerequisites.tool("ping");
            long pid = ProcessHandle.current().pid();
            int serial = RIGS.incrementAndGet();
            int net = (int) ((pid + serial) % 200) + 20;
            String hostIf = "wgh" + pid + "r" + serial;
            String nsIf = "wgn" + pid + "r" + serial;
            String wgIf = "wgg" + pid + "r" + serial;
            String hostIp = "10.251." + net + ".1";
            String nsIp = "10.251." + net + ".2";
            int goPort = 20000 + (int) (pid % 20000);

            NetworkNamespace ns = NetworkNamespace.create("wgi");
            try {
                ExternalProcess.run(
                        STEP, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", ns.name());
                ExternalProcess.run(STEP, "ip", "addr", "add", hostIp + "/30", "dev", hostIf);
                ExternalProcess.run(STEP, "ip", "link", "set", hostIf, "up");
                ns.exec("ip", "addr", "add", nsIp + "/30", "dev", nsIf);
                ns.exec("ip", "link", "set", nsIf, "up");

                SecureRandom random = new SecureRandom();
                WireGuardKey relayPrivate = WireGuardKeys.generatePrivateKey(random);
                WireGuardKey goPrivate = WireGuardKeys.generatePrivateKey(random);
                WireGuardKey goPublic = WireGuardKeys.publicKey(goPrivate);
                Path keyFile = Files.createTempFile("wg-interop", ".key");
                Files.writeString(keyFile, goPrivate.toBase64() + "\n");

                DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(hostIp), 0));
                socket.setSoTimeout(50);

                ExternalProcess go =
                        ns.start("wireguard-go", "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", wgIf);
                Path uapi = Path.of("/var/run/wireguard/" + wgIf + ".sock");
                Await.until(STEP, "wireguard-go's UAPI socket " + uapi, () -> Files.exists(uapi));
                List<String> set = new java.util.ArrayList<>(List.of(
                        "wg",
                        "set",
                        wgIf,
                        "private-key",
                        keyFile.toString(),
                        "listen-port",
                        Integer.toString(goPort),
                        "peer",
                        WireGuardKeys.publicKey(relayPrivate).toBase64(),
                        "allowed-ips",
                        "10.77.0.1/32"));
                if (!relayInitiates) {
                    set.addAll(List.of("endpoint", hostIp + ":" + socket.getLocalPort()));
                }
                WireGuardKey psk = presharedKey ? WireGuardKeys.generatePresharedKey(random) : null;
                if (psk != null) {
                    Path pskFile = Files.createTempFile("wg-interop", ".psk");
                    Files.writeString(pskFile, psk.toBase64() + "\n");
                    set.addAll(List.of("preshared-key", pskFile.toString()));
                    pskFile.toFile().deleteOnExit();
                }
                ns.exec(set.toArray(String[]::new));
                ns.exec("ip", "addr", "add", "10.77.0.2/24", "dev", wgIf);
                ns.exec("ip", "link", "set", wgIf, "up");

                WireGuardEngine tunnel =
                        new WireGuardEngine(TunnelConfig.of(relayPrivate, Set.of(InetAddress.ofLiteral("10.77.0.1")))
                                .withHandshakesPerSecondBeforeCookies(alwaysUnderLoad ? 0 : 256));
                tunnel.addPeer(PeerConfig.of(goPublic, IpPrefix.parse("10.77.0.2/32"))
                        .withPresharedKey(psk)
                        .withEndpoint(
                                relayInitiates ? new InetSocketAddress(InetAddress.ofLiteral(nsIp), goPort) : null));
                Rig rig = new Rig(ns, hostIf, wgIf, go, keyFile, goPublic, tunnel, socket);
                rig.loop.start();
                return rig;
            } catch (Throwable t) {
                ns.close();
                throw t;
            }
        }

        String wgShow() {
            return ns.exec("wg", "show", wgIf);
        }

        /** The tunnel's single owner thread: UDP in, timer ticks, queued outbound packets. */
        private void run() {
            byte[] buffer = new byte[2048];
            TunnelSink sink = new TunnelSink() {
                @Override
                public void sendDatagram(InetSocketAddress endpoint, ByteBuf datagram) {
                    try {
                        byte[] bytes = ByteBufUtil.getBytes(datagram);
                        socket.send(new DatagramPacket(bytes, bytes.length, endpoint));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } finally {
                        datagram.release();
                    }
                }

                @Override
                public void deliverToTun(WireGuardKey peer, ByteBuf ipPacket) {
                    byte[] packet = ByteBufUtil.getBytes(ipPacket);
                    ipPacket.release();
                    delivered.add(packet);
                    byte[] reply = IcmpEcho.replyTo(packet);
                    if (reply != null) {
                        outbound.add(reply);
                    }
                }
            };
            long lastTick = System.nanoTime();
            while (running) {
                byte[] next;
                while ((next = outbound.poll()) != null) {
                    ByteBuf packet = Unpooled.wrappedBuffer(next);
                    tunnel.encapsulate(packet, System.nanoTime(), sink);
                    packet.release();
                }
                DatagramPacket received = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(received);
                    ByteBuf datagram = Unpooled.wrappedBuffer(buffer, 0, received.getLength());
                    tunnel.decapsulate(
                            (InetSocketAddress) received.getSocketAddress(), datagram, System.nanoTime(), sink);
                    datagram.release();
                } catch (SocketTimeoutException e) {
                    // fall through to the tick
                } catch (IOException e) {
                    if (running) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
                long now = System.nanoTime();
                if (now - lastTick >= WireGuardEngine.TICK_INTERVAL_NANOS) {
                    tunnel.tick(now, sink);
                    lastTick = now;
                }
            }
            tunnel.close();
        }

        @Override
        public void close() throws Exception {
            running = false;
            socket.close();
            loop.join(5_000);
            wireguardGo.close();
            // Deleting the host end removes the pair now, not when the kernel reaps the namespace.
            ExternalProcess.runAllowingFailure(STEP, "ip", "link", "del", hostIf);
            ns.close();
            Files.deleteIfExists(keyFile);
        }
    }

    /** ICMPv4 echo request / reply, built by hand. */
    static final class IcmpEcho {

        static byte[] request(String src, String dst, int id, int seq, int payload) {
            byte[] p = new byte[20 + 8 + payload];
            p[0] = 0x45;
            p[2] = (byte) (p.length >>> 8);
            p[3] = (byte) p.length;
            p[8] = 64;
            p[9] = 1;
            System.arraycopy(InetAddress.ofLiteral(src).getAddress(), 0, p, 12, 4);
            System.arraycopy(InetAddress.ofLiteral(dst).getAddress(), 0, p, 16, 4);
            p[20] = 8;
            p[24] = (byte) (id >>> 8);
            p[25] = (byte) id;
            p[26] = (byte) (seq >>> 8);
            p[27] = (byte) seq;
            for (int i = 28; i < p.length; i++) {
                p[i] = (byte) i;
            }
            checksums(p);
            return p;
        }

        /** The echo reply to an IPv4 ICMP echo request, or null if it is not one. */
        static byte[] replyTo(byte[] packet) {
            if (packet.length < 28 || (packet[0] & 0xf0) != 0x40 || packet[9] != 1) {
                return null;
            }
            int ihl = (packet[0] & 0x0f) * 4;
            if (packet[ihl] != 8) {
                return null;
            }
            byte[] reply = packet.clone();
            System.arraycopy(packet, 16, reply, 12, 4);
            System.arraycopy(packet, 12, reply, 16, 4);
            reply[8] = 64;
            reply[ihl] = 0;
            checksums(reply);
            return reply;
        }

        static boolean isReplyTo(byte[] packet, byte[] request) {
            return packet.length == request.length
                    && packet[9] == 1
                    && packet[20] == 0
                    && packet[24] == request[24]
                    && packet[25] == request[25]
                    && java.util.Arrays.equals(packet, 28, packet.length, request, 28, request.length);
        }

        private static void checksums(byte[] p) {
            int ihl = (p[0] & 0x0f) * 4;
            p[10] = 0;
            p[11] = 0;
            int ip = checksum(p, 0, ihl);
            p[10] = (byte) (ip >>> 8);
            p[11] = (byte) ip;
            p[ihl + 2] = 0;
            p[ihl + 3] = 0;
            int icmp = checksum(p, ihl, p.length - ihl);
            p[ihl + 2] = (byte) (icmp >>> 8);
            p[ihl + 3] = (byte) icmp;
        }

        private static int checksum(byte[] b, int off, int len) {
            long sum = 0;
            for (int i = 0; i + 1 < len; i += 2) {
                sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
            }
            if ((len & 1) != 0) {
                sum += (b[off + len - 1] & 0xff) << 8;
            }
            while ((sum >>> 16) != 0) {
                sum = (sum & 0xffff) + (sum >>> 16);
            }
            return (int) (~sum & 0xffff);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
