package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

/** What a command on BIRD's control socket came to: an answer (maybe an error code), or no BIRD. */
sealed interface BirdResult {

    /** BIRD answered; the answer may still be an error ({@link BirdReply#isError()}). */
    record Answered(BirdReply reply) implements BirdResult {
        public Answered {
            requireNonNull(reply, "reply");
        }
    }

    /** No answer: socket missing or refused, BIRD went away mid-command, timed out, or spoke garbage. */
    record Unreachable(String cause) implements BirdResult {
        public Unreachable {
            requireNonNull(cause, "cause");
        }
    }
}
