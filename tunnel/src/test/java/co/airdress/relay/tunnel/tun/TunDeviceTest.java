package co.airdress.relay.tunnel.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.device.internal.TunReadiness;
import co.airdress.relay.tunnel.netns.InNamespace;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real kernel peer (python's UDP socket, in a namespace) sends to an address routed into our
 * TUN device; Java reads the packet, answers it by swapping addresses and ports, and the kernel
 * delivers the answer to the socket.
 */
class TunDeviceTest {

    @BeforeEach
    void prerequisites() {
        Prerequisites.networkNamespaces();
        Prerequisites.tool("python3");
    }

    @Test
    void echoesUdpOverIpv4AndIpv6ThroughTheKernel() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("tuntest")) {
            String name = "jtun" + ProcessHandle.current().pid() % 100000;
            TunDevice tun = InNamespace.call(ns, () -> {
                TunDevice t = TunDevice.open(name);
                new InterfaceSetup()
                        .up(t.name(), List.of(IpPrefix.parse("10.201.0.1/24"), IpPrefix.parse("fd00:201::1/64")), 1420);
                return t;
            });
            AtomicInteger echoed = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().name("tun-echo").start(() -> echoLoop(tun.queue(0), echoed, failure));
            try {
                assertThat(tun.name()).isEqualTo(name);
                assertThat(ns.exec("ip", "-d", "link", "show", name))
                        .contains("tun type tun pi off")
                        .contains("mtu 1420");
                String out = ns.exec("python3", "-c", PY_UDP_CLIENT, "10.201.0.2", "fd00:201::2");
                assertThat(out).contains("ipv4 ok").contains("ipv6 ok");
                assertThat(echoed.get()).isGreaterThanOrEqualTo(2);
            } finally {
                tun.close();
                reader.join(5000);
            }
            assertThat(reader.isAlive()).as("reader returned after close").isFalse();
            assertThat(failure.get()).isNull();
            assertThat(ns.execAllowingFailure(Duration.ofSeconds(5), "ip", "link", "show", name)
                            .exitCode())
                    .as("interface gone after close")
                    .isNotZero();
        }
    }

    @Test
    void echoesFromANettyEpollEventLoop() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("tunepoll")) {
            String name = "jep" + ProcessHandle.current().pid() % 100000;
            TunDevice tun = InNamespace.call(ns, () -> {
                TunDevice t = TunDevice.open(name);
                new InterfaceSetup()
                        .up(t.name(), List.of(IpPrefix.parse("10.202.0.1/24"), IpPrefix.parse("fd00:202::1/64")), 1420);
                return t;
            });
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            MemorySegment buf = Arena.global().allocate(2048);
            AtomicInteger echoed = new AtomicInteger();
            try {
                IoEventLoop loop = (IoEventLoop) group.next();
                TunReadiness.register(loop, tun.queue(0), () -> {
                            try {
                                int n;
                                while ((n = tun.queue(0).readNow(buf)) > 0) {
                                    if (echoUdp(buf)) {
                                        tun.queue(0).write(buf.asSlice(0, n));
                                        echoed.incrementAndGet();
                                    }
                                }
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        })
                        .sync();
                String out = ns.exec("python3", "-c", PY_UDP_CLIENT, "10.202.0.2", "fd00:202::2");
                assertThat(out).contains("ipv4 ok").contains("ipv6 ok");
                assertThat(echoed.get()).isGreaterThanOrEqualTo(2);
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                tun.close();
            }
        }
    }

    @Test
    void multiQueueWithVirtioHeaderIsVisibleToTheKernel() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("tunmq")) {
            String name = "jmq" + ProcessHandle.current().pid() % 100000;
            try (TunDevice tun = InNamespace.call(ns, () -> TunDevice.open(name, 2, true))) {
                assertThat(tun.queueCount()).isEqualTo(2);
                assertThat(tun.queue(1).headerLength()).isEqualTo(TunDevice.VNET_HDR_LENGTH);
                assertThat(ns.exec("ip", "-d", "link", "show", name))
                        .contains("vnet_hdr on")
                        .contains("multi_queue")
                        .contains("numqueues 2");
            }
        }
    }

    @Test
    void busyNameFailsNamingDeviceAndErrno() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("tunbusy")) {
            String name = "jbz" + ProcessHandle.current().pid() % 100000;
            InNamespace.run(ns, () -> {
                try (TunDevice first = TunDevice.open(name)) {
                    assertThat(first.name()).isEqualTo(name);
                    assertThatThrownBy(() -> TunDevice.open(name))
                            .hasMessageStartingWith("TUNSETIFF " + name + ": EBUSY");
                }
            });
        }
    }

    @Test
    void rejectsInvalidNamesBeforeAnySystemCall() {
        assertThatThrownBy(() -> TunDevice.open("a/b")).hasMessageContaining("interface name: 'a/b'");
        assertThatThrownBy(() -> TunDevice.open("sixteen-chars-xx")).hasMessageContaining("expected: 1..15");
    }

    @Test
    void interfaceSetupNamesTheFailingCommand() {
        Prerequisites.root();
        assertThatThrownBy(() -> new InterfaceSetup()
                        .up(
                                "nosuchif" + ProcessHandle.current().pid() % 1000,
                                List.of(IpPrefix.parse("10.9.9.9/32")),
                                1420))
                .hasMessageContaining("interface setup: 'ip link set dev nosuchif")
                .hasMessageContaining("exited with");
    }

    /** Answers IPv4/IPv6 UDP by swapping source and destination; checksums stay valid under a swap. */
    private static void echoLoop(TunQueue queue, AtomicInteger echoed, AtomicReference<Throwable> failure) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(2048);
            while (true) {
                int n = queue.read(buf);
                if (n < 0) {
                    return;
                }
                if (echoUdp(buf)) {
                    queue.write(buf.asSlice(0, n));
                    echoed.incrementAndGet();
                }
            }
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    /** Turns a UDP packet into its answer in place; false for anything else (router solicitations...). */
    private static boolean echoUdp(MemorySegment buf) {
        int version = (buf.get(ValueLayout.JAVA_BYTE, 0) & 0xf0) >> 4;
        int protocolOffset = version == 4 ? 9 : 6;
        if (buf.get(ValueLayout.JAVA_BYTE, protocolOffset) != 17) {
            return false;
        }
        int addrOffset = version == 4 ? 12 : 8;
        int addrLength = version == 4 ? 4 : 16;
        int l4 = version == 4 ? (buf.get(ValueLayout.JAVA_BYTE, 0) & 0x0f) * 4 : 40;
        swap(buf, addrOffset, addrOffset + addrLength, addrLength);
        swap(buf, l4, l4 + 2, 2);
        return true;
    }

    private static void swap(MemorySegment buf, int a, int b, int length) {
        for (int i = 0; i < length; i++) {
            byte x = buf.get(ValueLayout.JAVA_BYTE, a + i);
            buf.set(ValueLayout.JAVA_BYTE, a + i, buf.get(ValueLayout.JAVA_BYTE, b + i));
            buf.set(ValueLayout.JAVA_BYTE, b + i, x);
        }
    }

    private static final String PY_UDP_CLIENT = """
            import socket, sys
            for family, host, label in ((socket.AF_INET, sys.argv[1], "ipv4"), (socket.AF_INET6, sys.argv[2], "ipv6")):
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.settimeout(5)
                s.connect((host, 9999))
                s.send(b"hello through tun " + label.encode())
                data = s.recv(2048)
                assert data == b"hello through tun " + label.encode(), data
                print(label, "ok")
            """;
}
