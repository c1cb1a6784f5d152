package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Makes BIRD do a {@link BirdAction} for the VIPs' static protocols (one per address family, e.g.
 * {@code vip} and {@code vip6}), and reads back what BIRD does. Every protocol gets the same
 * action in the same step: one health signal, both families.
 *
 * <p>Withdraw and plain announce use {@code disable}/{@code enable} of each static protocol (a few
 * milliseconds each; the BGP sessions and BFD are untouched). Switching the export attributes
 * (drain or un-drain) needs the state file and {@code configure}, which the export filters read.
 * The state file is written first on every change, so a {@code configure} by anyone, or a BIRD
 * restart, reproduces the current decision for every protocol that reads it.
 */
final class BirdVipRoute {

    /** The result of one {@link #apply}. */
    sealed interface Applied {
        record Done(String commands) implements Applied {}

        record Failed(String cause) implements Applied {}
    }

    private final BirdControl bird;
    private final VipStateFile stateFile;
    private final List<String> protocols;

    /** Whether BIRD's loaded configuration has VIP_STATE = 1, as of {@link #configuredGeneration}; null if unknown. */
    private @Nullable Boolean configuredDrain;

    private long configuredGeneration = -1;

    BirdVipRoute(BirdControl bird, VipStateFile stateFile, List<String> protocols) {
        this.bird = requireNonNull(bird, "bird");
        this.stateFile = requireNonNull(stateFile, "stateFile");
        this.protocols = List.copyOf(protocols);
        if (this.protocols.isEmpty()) {
            throw new IllegalArgumentException("protocols: [] (expected: at least one VIP protocol)");
        }
    }

    /** Every protocol's state column ({@code up}, {@code down}, ...), or a failure. */
    sealed interface Observed {
        /** The states, in the order the protocols were given. */
        record State(Map<String, String> states) implements Observed {
            public State {
                states = Collections.unmodifiableMap(new LinkedHashMap<>(states));
            }

            /** Whether every protocol is where {@code wanted} puts it. */
            boolean matches(BirdAction wanted) {
                return states.values().stream().allMatch(s -> announces(s) == wanted.announces());
            }

            /** {@code vip up, vip6 up}: for logs. */
            String text() {
                List<String> parts = new ArrayList<>(states.size());
                states.forEach((name, state) -> parts.add(name + " " + state));
                return String.join(", ", parts);
            }
        }

        record Failed(String cause) implements Observed {}
    }

    /** Whether a State column means announcing: "start" is an enabled protocol on its way up; only a disabled one is "down". */
    static boolean announces(@Nullable String state) {
        return "up".equals(state) || "start".equals(state);
    }

    Observed observe() {
        Map<String, String> states = new LinkedHashMap<>();
        for (String protocol : protocols) {
            Optional<String> failure = observe(protocol, states);
            if (failure.isPresent()) {
                return new Observed.Failed(failure.get());
            }
        }
        return new Observed.State(states);
    }

    private Optional<String> observe(String protocol, Map<String, String> states) {
        BirdResult r = bird.showProtocol(protocol);
        if (r instanceof BirdResult.Unreachable u) {
            return Optional.of(u.cause());
        }
        BirdReply reply = ((BirdResult.Answered) r).reply();
        if (reply.isError()) {
            return Optional.of("show protocols " + protocol + ": " + reply.text());
        }
        Optional<String> state = reply.protocolState(protocol);
        if (state.isEmpty()) {
            return Optional.of("no protocol " + protocol + " in BIRD: " + reply.text());
        }
        states.put(protocol, state.get());
        return Optional.empty();
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
            return forEachProtocol(
                    done,
                    p -> run(bird.disable(p), done, "disable " + p, BirdReply.DISABLED, BirdReply.ALREADY_DISABLED));
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
        return forEachProtocol(
                done, p -> run(bird.enable(p), done, "enable " + p, BirdReply.ENABLED, BirdReply.ALREADY_ENABLED));
    }

    /**
     * Runs {@code command} for every protocol, back to back; stops at the first failure (the
     * controller re-applies the whole action on its next tick, and every command is idempotent).
     */
    private Applied forEachProtocol(StringBuilder done, Function<String, Applied> command) {
        for (String protocol : protocols) {
            if (command.apply(protocol) instanceof Applied.Failed failed) {
                return failed;
            }
        }
        return new Applied.Done(done.toString());
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
