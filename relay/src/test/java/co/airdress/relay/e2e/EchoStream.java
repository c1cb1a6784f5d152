package co.airdress.relay.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One client connection through the relay to {@link StreamingEcho}: chunks out, the same chunks back. */
final class EchoStream implements AutoCloseable {

    static final int CHUNK = 4096;

    private final Socket socket;
    private final int id;
    private long sent;

    EchoStream(int port, String host, int id) throws IOException {
        this.id = id;
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(15_000);
        socket.getOutputStream()
                .write(("GET /stream/" + id + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
    }

    /** Sends one chunk and checks that exactly it comes back. */
    void exchange() throws IOException {
        byte[] chunk = new byte[CHUNK];
        for (int i = 0; i < CHUNK; i++) {
            chunk[i] = (byte) (id * 131 + (sent + i) * 7);
        }
        OutputStream out = socket.getOutputStream();
        out.write(chunk);
        out.flush();
        byte[] back = socket.getInputStream().readNBytes(CHUNK);
        if (!Arrays.equals(back, chunk)) {
            throw new IOException("stream " + id + ": chunk at offset " + sent + " came back "
                    + (back.length < CHUNK ? "short (" + back.length + " bytes)" : "altered"));
        }
        sent += CHUNK;
    }

    /** Half-closes and expects the upstream's half-close with nothing more. */
    void finish() throws IOException {
        socket.shutdownOutput();
        InputStream in = socket.getInputStream();
        int b = in.read();
        if (b != -1) {
            throw new IOException("stream " + id + ": unexpected byte after the echo");
        }
    }

    long sent() {
        return sent;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
