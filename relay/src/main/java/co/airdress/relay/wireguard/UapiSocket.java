package co.airdress.relay.wireguard;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.PeerStats;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only, wireguard-go compatible UAPI socket ({@code /var/run/wireguard/<interface>.sock}),
 * so that {@code wg show <interface>} lists the relay's peers. It answers {@code get=1} with the
 * listen port and, per peer, public key, endpoint, last handshake, bytes and allowed IP; the
 * private key is never sent. {@code set=1} is refused (EPERM): peers come from the operators file
 * and the admin API only.
 *
 * <p>The socket is mode 0600 in a 0700 directory (root only). Connections are served one request
 * each on virtual threads, at most {@link #MAX_CONNECTIONS} at once, requests up to 64 KiB.
 */
final class UapiSocket implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UapiSocket.class);
    static final Path DIRECTORY = Path.of("/var/run/wireguard");
    private static final int MAX_CONNECTIONS = 8;
    private static final int MAX_REQUEST = 64 * 1024;
    private static final int EPERM = 1;
    private static final int EINVAL = 22;

    private final Path path;
    private final ServerSocketChannel server;
    private final OperatorTunnel tunnel;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Thread acceptor;

    private UapiSocket(Path path, ServerSocketChannel server, OperatorTunnel tunnel) {
        this.path = path;
        this.server = server;
        this.tunnel = tunnel;
        this.acceptor = Thread.ofPlatform()
                .daemon(true)
                .name("wg-uapi-" + tunnel.interfaceName())
                .start(this::accept);
    }

    static UapiSocket open(OperatorTunnel tunnel) throws IOException {
        requireNonNull(tunnel, "tunnel");
        if (!Files.isDirectory(DIRECTORY)) {
            Files.createDirectories(
                    DIRECTORY, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path path = DIRECTORY.resolve(tunnel.interfaceName() + ".sock");
        // A socket left by a killed relay would make bind fail; no live process can own our interface name.
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new UapiSocket(path, server, tunnel);
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (!slots.tryAcquire()) {
                close(ch);
                continue;
            }
            Thread.ofVirtual().start(() -> {
                try (ch) {
                    serve(ch);
                } catch (IOException e) {
                    log.debug("UAPI connection", e);
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void serve(SocketChannel ch) throws IOException {
        String request = readRequest(ch);
        if (request == null) {
            return;
        }
        String reply;
        if (request.startsWith("get=1\n")) {
            reply = get() + "errno=0\n\n";
        } else if (request.startsWith("set=1\n")) {
            reply = "errno=" + EPERM + "\n\n";
        } else {
            reply = "errno=" + EINVAL + "\n\n";
        }
        ByteBuffer out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) {
            ch.write(out);
        }
    }

    /** Reads up to the blank line that ends a request; null if the peer closes or sends too much. */
    private static String readRequest(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                return null;
            }
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
            if (text.contains("\n\n")) {
                return text;
            }
        }
        return null;
    }

    private String get() {
        StringBuilder b = new StringBuilder(256);
        b.append("listen_port=").append(tunnel.listenPort()).append('\n');
        HexFormat hex = HexFormat.of();
        for (OperatorTunnel.PeerStatus p : tunnel.peers()) {
            b.append("public_key=")
                    .append(hex.formatHex(p.peer().publicKey().bytes()))
                    .append('\n');
            PeerStats s = p.stats();
            if (s != null && s.endpoint() != null) {
                InetSocketAddress e = s.endpoint();
                String host = e.getAddress().getHostAddress();
                b.append("endpoint=")
                        .append(e.getAddress() instanceof Inet6Address ? "[" + host + "]" : host)
                        .append(':')
                        .append(e.getPort())
                        .append('\n');
            }
            Instant last = s == null ? null : s.lastHandshake();
            b.append("last_handshake_time_sec=")
                    .append(last == null ? 0 : last.getEpochSecond())
                    .append('\n');
            b.append("last_handshake_time_nsec=")
                    .append(last == null ? 0 : last.getNano())
                    .append('\n');
            b.append("tx_bytes=").append(s == null ? 0 : s.txBytes()).append('\n');
            b.append("rx_bytes=").append(s == null ? 0 : s.rxBytes()).append('\n');
            b.append("persistent_keepalive_interval=0\n");
            int bits = p.peer().address().getAddress().length * 8;
            b.append("allowed_ip=")
                    .append(p.peer().address().getHostAddress())
                    .append('/')
                    .append(bits)
                    .append('\n');
            b.append("protocol_version=1\n");
        }
        return b.toString();
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.debug("closing the UAPI socket {}", path, e);
        }
        acceptor.interrupt();
    }
}
