package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A client for BIRD's control socket (the protocol {@code birdc} speaks): send one command line,
 * read reply lines {@code NNNN-text} (more follow), {@code NNNN text} (final), {@code " text"}
 * (continuation), {@code +...} (spontaneous, ignored). Decisions are made on reply codes only,
 * never on human text, which differs between BIRD versions.
 *
 * <p>Every call has a deadline. The connection is made lazily and remade after any failure, so a
 * BIRD restart costs one failed or retried command; {@link #generation()} counts connections so
 * that the caller can tell it is now talking to a (possibly) new BIRD. Not thread-safe: one loop
 * thread uses it.
 */
final class BirdControl implements AutoCloseable {

    private final UnixDomainSocketAddress address;
    private final Duration timeout;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(8192);
    private final BirdReplyDecoder decoder = new BirdReplyDecoder();

    private @Nullable SocketChannel channel;
    private @Nullable Selector selector;
    private long generation;

    BirdControl(Path socket, Duration timeout) {
        this.address = UnixDomainSocketAddress.of(requireNonNull(socket, "socket"));
        this.timeout = requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
    }

    Path socket() {
        return address.getPath();
    }

    /** How many times a connection to BIRD has been established (0 before the first). */
    long generation() {
        return generation;
    }

    boolean isConnected() {
        return channel != null;
    }

    /**
     * Sends {@code command} and returns BIRD's whole reply. A command that fails on a connection
     * made earlier is retried once on a fresh one (BIRD may have restarted since); every command
     * this controller sends is idempotent, so the retry is safe.
     */
    BirdResult command(String command) {
        requireNonNull(command, "command");
        if (command.isEmpty() || command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("command: " + command + " (expected: one non-empty line)");
        }
        boolean reused = channel != null;
        BirdResult result = attempt(command);
        if (result instanceof BirdResult.Unreachable && reused) {
            result = attempt(command);
        }
        return result;
    }

    BirdResult showProtocol(String protocol) {
        return command("show protocols " + quoteIfNeeded(protocol));
    }

    BirdResult enable(String protocol) {
        return command("enable " + quoteIfNeeded(protocol));
    }

    BirdResult disable(String protocol) {
        return command("disable " + quoteIfNeeded(protocol));
    }

    BirdResult configure() {
        return command("configure");
    }

    private static String quoteIfNeeded(String protocol) {
        // BIRD accepts a protocol name as a symbol; names given on our command line are plain symbols.
        if (!protocol.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException(
                    "protocol: " + protocol + " (expected: a BIRD symbol [A-Za-z_][A-Za-z0-9_]*)");
        }
        return protocol;
    }

    private BirdResult attempt(String command) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (channel == null) {
                connect(deadline);
            }
            write(command + "\n", deadline);
            return new BirdResult.Answered(readReply(deadline));
        } catch (IOException e) {
            close();
            return new BirdResult.Unreachable(command + ": " + describe(e));
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null
                ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private void connect(long deadline) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel = null;
        try {
            ch.configureBlocking(false);
            sel = Selector.open();
            channel = ch;
            selector = sel;
            ch.register(sel, 0);
            if (!ch.connect(address)) {
                while (!ch.finishConnect()) {
                    await(SelectionKey.OP_CONNECT, deadline, "connect");
                }
            }
            decoder.reset();
            readBuffer.clear().flip();
            BirdReply welcome = readReply(deadline);
            if (welcome.finalCode() != BirdReply.WELCOME) {
                throw new IOException("unexpected greeting: " + welcome.text());
            }
            generation++;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void write(String line, long deadline) throws IOException {
        SocketChannel ch = requireNonNull(channel, "channel");
        ByteBuffer out = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            if (ch.write(out) == 0) {
                await(SelectionKey.OP_WRITE, deadline, "write");
            }
        }
    }

    private BirdReply readReply(long deadline) throws IOException {
        SocketChannel ch = requireNonNull(channel, "channel");
        while (true) {
            switch (decoder.decode(readBuffer)) {
                case BirdReplyDecoder.Step.Complete c -> {
                    return c.reply();
                }
                case BirdReplyDecoder.Step.Malformed m -> throw new IOException(m.reason());
                case BirdReplyDecoder.Step.NeedMore n -> {
                    // The decoder consumed everything; read more below.
                }
            }
            readBuffer.clear();
            int read = ch.read(readBuffer);
            readBuffer.flip();
            if (read < 0) {
                throw new IOException("BIRD closed the control connection");
            }
            if (read == 0) {
                await(SelectionKey.OP_READ, deadline, "reply");
            }
        }
    }

    private void await(int ops, long deadline, String what) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new IOException(what + " timed out after " + timeout);
        }
        Selector sel = requireNonNull(selector, "selector");
        requireNonNull(requireNonNull(channel, "channel").keyFor(sel), "key").interestOps(ops);
        sel.select(Math.max(1, remaining / 1_000_000));
        sel.selectedKeys().clear();
    }

    @Override
    public void close() {
        SocketChannel ch = channel;
        Selector sel = selector;
        channel = null;
        selector = null;
        decoder.reset();
        readBuffer.clear().flip();
        try {
            if (sel != null) {
                sel.close();
            }
        } catch (IOException ignored) {
            // Closing a selector only frees its fd; nothing to report.
        }
        try {
            if (ch != null) {
                ch.close();
            }
        } catch (IOException ignored) {
            // A close that fails leaves nothing for us to retry.
        }
    }
}
