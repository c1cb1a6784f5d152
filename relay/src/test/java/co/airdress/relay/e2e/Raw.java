package co.airdress.relay.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;

/** A plain socket client for answers no real client produces on demand (malformed bytes, silence). */
final class Raw {

    private Raw() {}

    /** Sends {@code request}, optionally half-closes, and returns everything until EOF (or reset). */
    static byte[] exchange(int port, byte[] request, boolean shutdownOutput) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            if (shutdownOutput) {
                s.shutdownOutput();
            }
            return readToEnd(s.getInputStream());
        }
    }

    /** Everything until EOF; a reset ends the read too, keeping what arrived before it. */
    static byte[] readToEnd(InputStream in) throws IOException {
        return read(in, true);
    }

    /** Everything until EOF; a reset is an error. */
    static byte[] readToEndStrictly(InputStream in) throws IOException {
        return read(in, false);
    }

    private static byte[] read(InputStream in, boolean resetEnds) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (SocketException e) {
            if (!resetEnds) {
                throw new SocketException(e.getMessage() + " after " + out.size() + " bytes");
            }
        }
        return out.toByteArray();
    }
}
