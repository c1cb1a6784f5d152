#!/usr/bin/env bash
# Rolls a relay image out to PoPs one at a time, behind health gates (lab/README.md, "Rolling upgrade").
#
#   lab/rollout.sh --inventory FILE [--drain-timeout S] [--ready-timeout S] [--announce-timeout S]
#                  [--probe-timeout S] IMAGE
#
# For each PoP of the inventory, in its order:
#   0. before: every other PoP's controller is ANNOUNCED and this PoP is healthy (/readyz UP,
#      ANNOUNCED), and its engine has IMAGE; else nothing is touched and the roll stops
#   1. drain: SIGTERM to the relay's container; the relay answers /readyz DRAINING, its controller
#      re-announces with GRACEFUL_SHUTDOWN, the relay stops accepting after its drain.delay and exits
#      once its connections finished (or its drain.timeout passed); wait for that (at most
#      --drain-timeout, then SIGKILL) and for the controller to stop announcing (DRAINED or WITHDRAWN)
#   2. replace: the PoP's deploy command with IMAGE
#   3. gates: readyz (/readyz 200 UP), announced (controller ANNOUNCED), probe (a request through the
#      VIP from the client side answered by this PoP)
# A failed gate stops the roll: the previous image goes back on that PoP (deploy again), its gates
# must pass again, and the exit status says what happened. The PoPs after it are not touched.
#
# Exit status: 0 every PoP runs IMAGE and passed its gates; 1 a gate failed, the PoP runs its
# previous image again and passed its gates ("rollout: gate NAME failed on POP: ..."); 2 usage or
# inventory error; 3 a gate failed and the rollback failed too: that PoP needs a person.
#
# Inventory: one section per PoP, "key = value" lines, # comments:
#
#   [ams1]                                  the PoP's name (section order = roll order)
#   engine = ssh root@ams1 podman           runs the PoP's container engine (podman or docker; default podman)
#   on = ssh root@ams1                      prefix under which curl reaches the PoP's management
#                                           addresses (default: none, run here)
#   relay = relay                           the relay's container (default relay)
#   controller = controller                 the controller's container, if it runs from the same
#                                           image: it must run IMAGE after the deploy too (default: none)
#   readyz = http://127.0.0.1:9090/readyz   the relay's readiness (default as shown)
#   status = http://127.0.0.1:9191/status   the controller's status (default as shown)
#   deploy = ssh root@ams1 /usr/local/sbin/pop-deploy   (re)creates the PoP's relay (and controller)
#                                           container(s) from the image given as its last argument,
#                                           returns once started (required)
#   probe = /usr/local/bin/probe-ams1       sends a request through the VIP from a client this PoP
#                                           serves, prints the name of the PoP that answered (required)
#
# lab/run.sh --containers writes the lab's inventory to $LAB_DIR/pops.inventory.
set -euo pipefail

INVENTORY=""
DRAIN_TIMEOUT=330      # the relay's default drain: 10 s delay + 5 min timeout, and a margin
READY_TIMEOUT=120
ANNOUNCE_TIMEOUT=60
PROBE_TIMEOUT=30
WITHDRAW_TIMEOUT=30    # controller: from the relay's exit to DRAINED/WITHDRAWN
IMAGE=""
usage() { echo "usage: lab/rollout.sh --inventory FILE [--drain-timeout S] [--ready-timeout S] [--announce-timeout S] [--probe-timeout S] IMAGE" >&2; exit 2; }
number() { [[ "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || { echo "rollout: $1 $2 (expected: a number of seconds > 0)" >&2; exit 2; }; }
while (($#)); do
    case "$1" in
        --inventory) INVENTORY=${2:-}; shift 2 || usage ;;
        --drain-timeout) number "$1" "${2:-}"; DRAIN_TIMEOUT=$2; shift 2 ;;
        --ready-timeout) number "$1" "${2:-}"; READY_TIMEOUT=$2; shift 2 ;;
        --announce-timeout) number "$1" "${2:-}"; ANNOUNCE_TIMEOUT=$2; shift 2 ;;
        --probe-timeout) number "$1" "${2:-}"; PROBE_TIMEOUT=$2; shift 2 ;;
        -h|--help) sed -n '2,45p' "$0"; exit 0 ;;
        -*) echo "rollout: unknown option $1" >&2; usage ;;
        *) [[ -z "$IMAGE" ]] || usage; IMAGE=$1; shift ;;
    esac
done
[[ -n "$IMAGE" && -n "$INVENTORY" ]] || usage
[[ -r "$INVENTORY" ]] || { echo "rollout: inventory $INVENTORY: not readable" >&2; exit 2; }

log() { printf 'rollout: %s\n' "$*"; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- the inventory -------------------------------------------------------------------------------
POPS=()
declare -A CONF=()
read_inventory() {
    local line pop="" key value n=0
    while IFS= read -r line || [[ -n "$line" ]]; do
        n=$((n + 1))
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line%"${line##*[![:space:]]}"}"
        [[ -z "$line" || "$line" == \#* ]] && continue
        if [[ "$line" =~ ^\[([A-Za-z0-9._-]+)\]$ ]]; then
            pop=${BASH_REMATCH[1]}
            [[ -z "${CONF[$pop.name]:-}" ]] || { echo "rollout: $INVENTORY:$n: PoP $pop listed twice" >&2; exit 2; }
            POPS+=("$pop")
            CONF[$pop.name]=$pop
            CONF[$pop.engine]=podman
            CONF[$pop.on]=""
            CONF[$pop.relay]=relay
            CONF[$pop.controller]=""
            CONF[$pop.readyz]=http://127.0.0.1:9090/readyz
            CONF[$pop.status]=http://127.0.0.1:9191/status
            continue
        fi
        [[ "$line" =~ ^([a-z]+)[[:space:]]*=[[:space:]]*(.*)$ ]] \
            || { echo "rollout: $INVENTORY:$n: '$line' (expected: [pop] or key = value)" >&2; exit 2; }
        key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
        [[ -n "$pop" ]] || { echo "rollout: $INVENTORY:$n: $key before the first [pop]" >&2; exit 2; }
        case "$key" in
            engine|on|relay|controller|readyz|status|deploy|probe) CONF[$pop.$key]=$value ;;
            *) echo "rollout: $INVENTORY:$n: unknown key $key (expected: engine, on, relay, controller, readyz, status, deploy, probe)" >&2; exit 2 ;;
        esac
    done <"$INVENTORY"
    ((${#POPS[@]})) || { echo "rollout: $INVENTORY lists no PoP" >&2; exit 2; }
    for pop in "${POPS[@]}"; do
        for key in deploy probe; do
            [[ -n "${CONF[$pop.$key]:-}" ]] || { echo "rollout: $INVENTORY: [$pop] has no $key (required)" >&2; exit 2; }
        done
    done
}

# ---- one PoP -------------------------------------------------------------------------------------
# The inventory's commands are command lines: word-split on purpose.
# shellcheck disable=SC2086
engine() { ${CONF[$1.engine]} "${@:2}"; }
# shellcheck disable=SC2086
on_pop() { ${CONF[$1.on]} "${@:2}"; }
relay_state() { engine "$1" inspect --format '{{.State.Status}} {{.State.ExitCode}}' "${CONF[$1.relay]}" 2>/dev/null || echo "missing -"; }
relay_image_id() { engine "$1" inspect --format '{{.Image}}' "${CONF[$1.relay]}" 2>/dev/null; }
controller_runs() {  # controller_runs POP IMAGE_ID: true when no controller container is named
    [[ -z "${CONF[$1.controller]}" ]] && return 0
    [[ "$(engine "$1" inspect --format '{{.Image}}' "${CONF[$1.controller]}" 2>/dev/null)" == "$2" ]]
}
relay_image_name() {  # the name the relay's container was made from (podman: ImageName; docker: Config.Image)
    engine "$1" inspect --format '{{.ImageName}}' "${CONF[$1.relay]}" 2>/dev/null \
        || engine "$1" inspect --format '{{.Config.Image}}' "${CONF[$1.relay]}"
}
image_id() { engine "$1" image inspect --format '{{.Id}}' "$2" 2>/dev/null; }
readyz() { on_pop "$1" curl -s -m 2 -o /dev/null -w '%{http_code}' "${CONF[$1.readyz]}" 2>/dev/null || true; }
controller_state() {  # the first "state" of /status is the controller's own
    on_pop "$1" curl -s -m 2 "${CONF[$1.status]}" 2>/dev/null \
        | grep -o '"state" *: *"[A-Z_]*"' | head -1 | sed 's/.*"\([A-Z_]*\)"$/\1/' || true
}
# shellcheck disable=SC2086
probe() { ${CONF[$1.probe]} 2>&1; }

GATE_NOTE=""
until_true() {  # until_true SECONDS CMD...: polls every 100 ms; GATE_NOTE says what was last seen
    local deadline=$((SECONDS + $1))
    shift
    while ! "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}
is_ready() {
    local state code
    state=$(relay_state "$1")
    if [[ $state != running* ]]; then GATE_NOTE="the relay's container is ${state% *} (exit status ${state#* })"; return 2; fi
    code=$(readyz "$1")
    GATE_NOTE="/readyz answered ${code:-nothing}"
    [[ $code == 200 ]]
}
wait_ready() {  # fails at once when the container is not running
    local deadline=$((SECONDS + READY_TIMEOUT)) rc
    while true; do
        rc=0
        is_ready "$1" || rc=$?
        ((rc == 0)) && return 0
        ((rc == 2)) && return 1
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}
is_announced() { local s; s=$(controller_state "$1"); GATE_NOTE="controller ${s:-unreachable}"; [[ $s == ANNOUNCED ]]; }
answered_by() { local who; who=$(probe "$1"); GATE_NOTE="probe answered '$who'"; [[ "$who" == "$1" ]]; }
not_announcing() { local s; s=$(controller_state "$1"); GATE_NOTE="controller ${s:-unreachable}"; [[ $s == DRAINED || $s == WITHDRAWN ]]; }
leaving() { local s; s=$(controller_state "$1"); [[ $s == DRAINING_ANNOUNCED || $s == DRAINED || $s == WITHDRAWN || -z $s ]]; }
relay_exited() { [[ "$(relay_state "$1")" != running* ]]; }

FAILED_GATE=""
gates() {  # gates POP: readyz, announced, probe; sets FAILED_GATE and GATE_NOTE on failure
    local pop=$1 t0
    t0=$(now)
    wait_ready "$pop" || { FAILED_GATE=readyz; return 1; }
    T_READY=$(elapsed "$t0" "$(now)")
    until_true "$ANNOUNCE_TIMEOUT" is_announced "$pop" || { FAILED_GATE=announced; return 1; }
    T_ANNOUNCED=$(elapsed "$t0" "$(now)")
    until_true "$PROBE_TIMEOUT" answered_by "$pop" || { FAILED_GATE=probe; return 1; }
    T_PROBE=$(elapsed "$t0" "$(now)")
}

drain() {  # drain POP: SIGTERM, then wait for the relay's exit and the withdrawal; sets T_DRAIN
    local pop=$1 t0 state
    t0=$(now)
    engine "$pop" kill --signal TERM "${CONF[$pop.relay]}" >/dev/null
    if until_true 10 leaving "$pop"; then
        log "$pop: draining (controller $(controller_state "$pop") after $(elapsed "$t0" "$(now)") s)"
    else
        log "$pop: warning: the controller still says $(controller_state "$pop") 10 s after the drain started"
    fi
    if ! until_true "$DRAIN_TIMEOUT" relay_exited "$pop"; then
        log "$pop: the relay did not exit within --drain-timeout ${DRAIN_TIMEOUT} s; killing it"
        engine "$pop" kill --signal KILL "${CONF[$pop.relay]}" >/dev/null || true
        until_true 10 relay_exited "$pop" || true
    fi
    state=$(relay_state "$pop")
    [[ ${state#* } == 0 ]] || log "$pop: warning: the relay exited with status ${state#* } after the drain (expected 0)"
    until_true "$WITHDRAW_TIMEOUT" not_announcing "$pop" \
        || log "$pop: warning: $GATE_NOTE ${WITHDRAW_TIMEOUT} s after the relay exited (expected DRAINED or WITHDRAWN)"
    T_DRAIN=$(elapsed "$t0" "$(now)")
}

deploy() {  # deploy POP IMAGE
    # shellcheck disable=SC2086 # a command line
    ${CONF[$1.deploy]} "$2"
}

preflight() {  # preflight POP: the others announced, this one healthy, IMAGE present
    local pop=$1 other
    for other in "${POPS[@]}"; do
        [[ $other == "$pop" ]] && continue
        is_announced "$other" || { FAILED_GATE="others-announced" GATE_NOTE="$other: $GATE_NOTE"; return 1; }
    done
    is_ready "$pop" || { FAILED_GATE="healthy-before" ; return 1; }
    is_announced "$pop" || { FAILED_GATE="healthy-before"; return 1; }
    TARGET_ID=$(image_id "$pop" "$IMAGE") || { FAILED_GATE="image-present" GATE_NOTE="no image $IMAGE on $pop's engine"; return 1; }
}

roll_pop() {  # roll_pop POP: 0 done, 1 rolled back, 3 rollback failed, 4 stopped before touching it
    local pop=$1 t0 previous
    FAILED_GATE="" GATE_NOTE=""
    if ! preflight "$pop"; then
        log "gate $FAILED_GATE failed on $pop before its upgrade: $GATE_NOTE; nothing changed on $pop"
        return 4
    fi
    previous=$(relay_image_name "$pop")
    if [[ "$(relay_image_id "$pop")" == "$TARGET_ID" ]]; then
        log "$pop already runs $IMAGE; its gates only"
        if gates "$pop"; then log "$pop done (already on $IMAGE): gates passed"; return 0; fi
        log "gate $FAILED_GATE failed on $pop: $GATE_NOTE (it already ran $IMAGE: nothing to roll back to)"
        return 3
    fi
    t0=$(now)
    log "$pop: draining (from $previous to $IMAGE)"
    drain "$pop"
    local t_deploy
    t_deploy=$(now)
    if ! deploy "$pop" "$IMAGE"; then
        FAILED_GATE=deploy GATE_NOTE="the deploy command failed"
    elif ! controller_runs "$pop" "$TARGET_ID"; then
        FAILED_GATE=deploy GATE_NOTE="the controller's container ${CONF[$pop.controller]} does not run $IMAGE after the deploy"
    elif gates "$pop"; then
        log "$pop done in $(elapsed "$t0" "$(now)") s: drain ${T_DRAIN} s (SIGTERM to relay exited and route withdrawn), then readyz UP after ${T_READY} s, ANNOUNCED after ${T_ANNOUNCED} s, probe answered by $pop after ${T_PROBE} s (from the deploy, $(elapsed "$t_deploy" "$(now)") s)"
        return 0
    fi
    log "gate $FAILED_GATE failed on $pop: $GATE_NOTE; putting $previous back"
    local gate=$FAILED_GATE note=$GATE_NOTE
    engine "$pop" kill --signal TERM "${CONF[$pop.relay]}" >/dev/null 2>&1 || true
    if deploy "$pop" "$previous" && gates "$pop"; then
        log "rolled back $pop to $previous: readyz UP after ${T_READY} s, ANNOUNCED after ${T_ANNOUNCED} s, probe answered by $pop"
        FAILED_GATE=$gate GATE_NOTE=$note
        return 1
    fi
    log "ROLLBACK FAILED on $pop: gate $FAILED_GATE: $GATE_NOTE; $pop needs a person"
    return 3
}

read_inventory
log "rolling $IMAGE to ${#POPS[@]} PoPs, one at a time: ${POPS[*]}"
T_START=$(now)
for pop in "${POPS[@]}"; do
    rc=0
    roll_pop "$pop" || rc=$?
    case $rc in
        0) ;;
        1) log "exit 1: gate $FAILED_GATE failed on $pop; $pop rolled back; not rolled: the PoPs after it"; exit 1 ;;
        4) log "exit 1: stopped before $pop"; exit 1 ;;
        *) log "exit 3: $pop is unhealthy after a failed gate and a failed rollback"; exit 3 ;;
    esac
done
log "exit 0: every PoP runs $IMAGE and passed its gates ($(elapsed "$T_START" "$(now)") s)"
