package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Makes BIRD do a {@link BirdAction} for the VIP's static protocol, and reads back what BIRD does.
 *
 * <p>Withdraw and plain announce use {@code disable}/{@code enable} of the static protocol (a few
 * milliseconds; the BGP session and BFD are untouched). Switching the export attributes (drain or
 * un-drain) needs the state file and {@code configure}, which the export filter reads. The state
 * file is written first on every change, so a {@code configure} by anyone, or a BIRD restart,
 * reproduces the current decision.
 */
final class BirdVipRoute {

    /** The result of one {@link #apply}. */
    sealed interface Applied {
        record Done(String commands) implements Applied {}

        record Failed(String cause) implements Applied {}
    }

    private final BirdControl bird;
    private final VipStateFile stateFile;
    private final String protocol;

    /** Whether BIRD's loaded configuration has VIP_STATE = 1, as of {@link #configuredGeneration}; null if unknown. */
    private @Nullable Boolean configuredDrain;

    private long configuredGeneration = -1;

    BirdVipRoute(BirdControl bird, VipStateFile stateFile, String protocol) {
        this.bird = requireNonNull(bird, "bird");
        this.stateFile = requireNonNull(stateFile, "stateFile");
        this.protocol = requireNonNull(protocol, "protocol");
    }

    String protocol() {
        return protocol;
    }

    /** The protocol's state column ({@code up}, {@code down}, ...), or a failure. */
    sealed interface Observed {
        record State(String state) implements Observed {
            boolean announcing() {
                // "start" is an enabled protocol on its way up; only a disabled one is "down".
                return state.equals("up") || state.equals("start");
            }
        }

        record Failed(String cause) implements Observed {}
    }

    Observed observe() {
        BirdResult r = bird.showProtocol(protocol);
        if (r instanceof BirdResult.Unreachable u) {
            return new Observed.Failed(u.cause());
        }
        BirdReply reply = ((BirdResult.Answered) r).reply();
        if (reply.isError()) {
            return new Observed.Failed("show protocols " + protocol + ": " + reply.text());
        }
        return reply.protocolState(protocol)
                .<Observed>map(Observed.State::new)
                .orElseGet(() -> new Observed.Failed("no protocol " + protocol + " in BIRD: " + reply.text()));
    }

    Applied apply(BirdAction action) {
        requireNonNull(action, "action");
        try {
            stateFile.write(action);
        } catch (IOException e) {
            return new Applied.Failed("cannot write " + stateFile.path() + ": " + e);
        }
        StringBuilder done =
                new StringBuilder("wrote " + stateFile.path().getFileName() + " (VIP_STATE=" + action.vipState() + ")");
        if (action == BirdAction.WITHDRAW) {
            return run(
                    bird.disable(protocol),
                    done,
                    "disable " + protocol,
                    BirdReply.DISABLED,
                    BirdReply.ALREADY_DISABLED);
        }
        boolean drain = action == BirdAction.ANNOUNCE_GRACEFUL_SHUTDOWN;
        if (configuredGeneration != bird.generation() || !Boolean.valueOf(drain).equals(configuredDrain)) {
            Applied configured = run(
                    bird.configure(),
                    done,
                    "configure",
                    BirdReply.RECONFIGURED,
                    BirdReply.RECONFIGURATION_IN_PROGRESS,
                    BirdReply.RECONFIGURATION_QUEUED,
                    BirdReply.RECONFIGURATION_UNQUEUED);
            if (configured instanceof Applied.Failed) {
                configuredDrain = null;
                return configured;
            }
            configuredDrain = drain;
            configuredGeneration = bird.generation();
        }
        return run(bird.enable(protocol), done, "enable " + protocol, BirdReply.ENABLED, BirdReply.ALREADY_ENABLED);
    }

    /** Checks the reply for one of the {@code expected} codes (any line) and no error. */
    private static Applied run(BirdResult result, StringBuilder done, String command, int... expected) {
        if (result instanceof BirdResult.Unreachable u) {
            return new Applied.Failed("BIRD unreachable: " + u.cause());
        }
        BirdReply reply = ((BirdResult.Answered) result).reply();
        if (reply.isError()) {
            return new Applied.Failed(command + " refused: " + reply.text());
        }
        for (int code : expected) {
            if (reply.has(code)) {
                done.append(", ")
                        .append(command)
                        .append(" (")
                        .append(String.format("%04d", code))
                        .append(')');
                return new Applied.Done(done.toString());
            }
        }
        return new Applied.Failed(command + ": unexpected reply " + reply.text());
    }
}
