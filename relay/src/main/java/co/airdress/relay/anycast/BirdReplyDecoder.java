package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Sans-IO decoder of BIRD control-socket replies: feed it whatever bytes arrived, in any
 * fragmentation, and it yields each complete reply. Lines are {@code NNNN-text} (more follow),
 * {@code NNNN text} (final), {@code " text"} (continuation of the previous code) and {@code +text}
 * (spontaneous output, skipped). Anything else, or a reply over {@link #MAX_REPLY_BYTES}, is
 * {@link Step.Malformed}; the connection must then be dropped.
 */
final class BirdReplyDecoder {

    /** Upper bound on one reply; {@code show route all} of a full table would exceed it, our commands never do. */
    static final int MAX_REPLY_BYTES = 1 << 20;

    sealed interface Step {
        /** All input consumed; the reply is not complete yet. */
        record NeedMore() implements Step {}

        /** A whole reply; bytes after it stay in the buffer. */
        record Complete(BirdReply reply) implements Step {
            public Complete {
                requireNonNull(reply, "reply");
            }
        }

        record Malformed(String reason) implements Step {
            public Malformed {
                requireNonNull(reason, "reason");
            }
        }
    }

    private static final Step NEED_MORE = new Step.NeedMore();

    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<BirdReply.Line> lines = new ArrayList<>();
    private int lastCode = -1;
    private int replyBytes;

    /** Consumes {@code in} up to the end of the first complete reply, or entirely. */
    Step decode(ByteBuffer in) {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (++replyBytes > MAX_REPLY_BYTES) {
                reset();
                return new Step.Malformed("reply longer than " + MAX_REPLY_BYTES + " bytes");
            }
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            Step step = onLine(text);
            if (step != NEED_MORE) {
                reset();
                return step;
            }
        }
        return NEED_MORE;
    }

    private Step onLine(String text) {
        if (text.startsWith("+")) {
            return NEED_MORE;
        }
        if (text.startsWith(" ")) {
            if (lastCode < 0) {
                return new Step.Malformed("continuation line before any code: " + abbreviate(text));
            }
            lines.add(new BirdReply.Line(lastCode, text.substring(1)));
            return NEED_MORE;
        }
        if (text.length() < 5 || !startsWithFourDigits(text) || (text.charAt(4) != '-' && text.charAt(4) != ' ')) {
            return new Step.Malformed("malformed reply line: " + abbreviate(text));
        }
        lastCode = Integer.parseInt(text, 0, 4, 10);
        lines.add(new BirdReply.Line(lastCode, text.substring(5)));
        return text.charAt(4) == ' ' ? new Step.Complete(new BirdReply(lines)) : NEED_MORE;
    }

    /** Forgets any partial reply (after a complete one, an error, or a new connection). */
    void reset() {
        line.reset();
        lines.clear();
        lastCode = -1;
        replyBytes = 0;
    }

    private static boolean startsWithFourDigits(String s) {
        for (int i = 0; i < 4; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
    }
}
