package co.airdress.relay.anycast;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.io.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The BIRD include file that carries the controller's decision, so that {@code birdc configure}
 * and a BIRD restart see the same state as the running daemon. One decision for every VIP: on a
 * dual-stack PoP both static protocols ({@code vip}, {@code vip6}) and both export filters read
 * the same two constants. Format:
 * <pre>
 * define VIP_STATE = 0;     # 0 announce, 1 drain (GRACEFUL_SHUTDOWN + prepends), 2 withdrawn
 * define VIP_DISABLED = 0;  # the static protocols' "disabled" switch: 1 exactly when withdrawn
 * </pre>
 * {@code VIP_DISABLED} exists because {@code configure} restarts a protocol whose configured
 * {@code disabled} differs from its run-time state (BIRD {@code nest/proto.c}, {@code proto_reconfigure}):
 * with a literal {@code disabled yes} every {@code configure} would withdraw an announced VIP.
 *
 * <p>Replaced whole through {@link AtomicFile}: BIRD never reads a half-written file.
 */
final class VipStateFile {

    private final Path path;

    VipStateFile(Path path) {
        this.path = requireNonNull(path, "path").toAbsolutePath();
    }

    Path path() {
        return path;
    }

    static String render(BirdAction action) {
        requireNonNull(action, "action");
        return "# Written by `relay controller`; replaced atomically on every change. Do not edit.\n"
                + "# VIP_STATE: 0 = announce, 1 = drain (GRACEFUL_SHUTDOWN 65535:0 + prepends), 2 = withdrawn.\n"
                + "define VIP_STATE = " + action.vipState() + ";\n"
                + "# VIP_DISABLED: the \"disabled\" switch of the VIP static protocols (vip, and vip6 on a dual-stack\n"
                + "# PoP), kept equal to their run-time state so that `birdc configure` never restarts (and so\n"
                + "# withdraws) an announced VIP.\n"
                + "define VIP_DISABLED = " + (action.announces() ? 0 : 1) + ";\n";
    }

    void write(BirdAction action) throws IOException {
        AtomicFile.write(path, render(action).getBytes(StandardCharsets.US_ASCII));
    }
}
