package co.airdress.relay.management;

import co.airdress.relay.health.DirectoryStatus;
import co.airdress.relay.health.HealthState;
import co.airdress.relay.health.Readiness;
import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * GET /readyz: the PoP's readiness and the checks it is made of (docs/management.md). The
 * {@code status} word is what the anycast controller announces by.
 */
record ReadyzBody(
        Readiness status,
        String pop,
        boolean draining,
        @Nullable Instant drainStartedAt,
        int activeConnections,
        Checks checks) {

    record Checks(
            Listeners listeners,
            Operators operators,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            Check tunnel,

            Draining draining,
            DirectoryStatus directory) {}

    /** One status per listener by name ({@code "http": "UP"}), after the check's own. */
    record Listeners(
            Readiness status,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            String error,

            @JsonAnyGetter Map<String, Readiness> byName) {}

    /** A rejected reload while an older table is in force is not DOWN: the PoP still routes. */
    record Operators(
            Readiness status,
            long routeVersion,
            @Nullable String lastError,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            Integer operators) {}

    record Check(Readiness status) {}

    record Draining(Readiness status, @Nullable Instant since) {}

    /** Readiness from cached state only: volatile reads, no I/O, no lock. */
    static ReadyzBody of(HealthState h, int operatorCount, int activeConnections) {
        Map<String, Boolean> listeners = h.listeners();
        boolean listenersUp = HealthState.allAccepting(listeners);
        Map<String, Readiness> byName = new TreeMap<>();
        listeners.forEach((name, up) -> byName.put(name, Readiness.upIf(up)));

        DirectoryStatus directory = h.directory();
        // STALE still routes (a table is in force): only DOWN, no table, withdraws the PoP.
        boolean operatorsUp = h.operatorsUp();
        Boolean tunnelUp = h.tunnelUp();
        boolean draining = h.isDraining();
        Instant since = h.drainStartedAt();

        Readiness status = HealthState.readiness(draining, listenersUp, operatorsUp, tunnelUp);
        return new ReadyzBody(
                status,
                h.pop(),
                draining,
                since,
                activeConnections,
                new Checks(
                        new Listeners(
                                Readiness.upIf(listenersUp),
                                listeners.isEmpty() ? "no listener bound yet" : null,
                                byName),
                        new Operators(
                                Readiness.upIf(operatorsUp),
                                h.routeVersion(),
                                h.operatorsError(),
                                operatorsUp ? operatorCount : null),
                        tunnelUp == null ? null : new Check(Readiness.upIf(tunnelUp)),
                        new Draining(draining ? Readiness.DRAINING : Readiness.UP, since),
                        directory));
    }
}
