# The lab's container mode (lab/run.sh --containers, --check-rollout): each PoP's relay and controller
# run from the image (docker/build.sh) inside the PoP's namespace. Sourced by lab/run.sh; uses its
# settings and helpers (D, LAB, ROOT, VIP, HOST, CTRL_*, log, die, await, ...). See lab/README.md.

IMAGE=localhost/airdress-relay:dev
RELAY_UID=10001              # the image's user and group (docker/Containerfile)
CONTAINER_STOP_TIMEOUT=10    # seconds a replaced controller gets to withdraw and exit

ctr() { echo "lab-$1"; }     # ctr relay-pop1 -> the container's name, lab-relay-pop1
container_running() { [[ "$(podman container inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]; }

# Every lab container, whatever state it is in (cleanup, and left-overs of a crashed run).
containers_remove() {
    command -v podman >/dev/null 2>&1 || return 0
    local name names=()
    for name in relay-pop1 relay-pop2 controller-pop1 controller-pop2; do
        podman container exists "$(ctr "$name")" 2>/dev/null && names+=("$(ctr "$name")")
    done
    ((${#names[@]})) || return 0
    podman rm --force --time 0 "${names[@]}" >/dev/null 2>&1 || log "could not remove containers ${names[*]}"
}

containers_prerequisites() {
    command -v podman >/dev/null 2>&1 || die "--containers needs podman (apt-get install podman runc)"
    podman image exists "$IMAGE" || die "no image $IMAGE: build it with docker/build.sh (or name one with --image=IMAGE)"
    # The relay opens /dev/net/tun as the image's user, not root. udev makes it 0666 on most
    # distributions; some sandboxes leave it 0600.
    if [[ $OPERATOR == wireguard && "$(stat -c %a /dev/net/tun)" != 666 ]]; then
        log "/dev/net/tun is mode $(stat -c %a /dev/net/tun); making it 0666 (as udev does) for the relay's non-root user"
        chmod 0666 /dev/net/tun
    fi
}

# The relay in the container: config and key read-only at /etc/relay, the WireGuard endpoints file
# on the state volume.
endpoints_file() {  # endpoints_file N: where pop N's relay keeps lab-op's endpoint
    if ((CONTAINERS)); then echo "$D/pop$1/state/lab-relay-p$1.endpoints"; else echo "$D/pop$1/lab-relay-p$1.endpoints"; fi
}
wireguard_state_option() {  # extra keys of pop N's wireguard: section
    ((CONTAINERS)) && echo ", state_file: /var/lib/relay/lab-relay-p$1.endpoints"
    return 0
}

# Ownership for the image's user: the state volume (the directory's snapshot, the WireGuard
# endpoints), the key and the admin token for the relay; the PoP directory
# (state file, rewritten by rename) and BIRD's control socket for the controller.
containers_prepare_pop() {  # containers_prepare_pop N (after BIRD started)
    local n="$1"
    mkdir -p "$D/pop$n/state"
    chown "$RELAY_UID:$RELAY_UID" "$D/pop$n/state"
    [[ ! -e "$D/pop$n/wg.key" ]] || chown "$RELAY_UID" "$D/pop$n/wg.key"
    chown "$RELAY_UID" "$D/pop$n/admin.token"
    chgrp "$RELAY_UID" "$D/pop$n" "$D/pop$n/vip-state.conf"
    chmod g+w "$D/pop$n" "$D/pop$n/vip-state.conf"
    await 10 "BIRD's control socket in pop$n" test -S "$D/pop$n/bird.ctl"
    chgrp "$RELAY_UID" "$D/pop$n/bird.ctl"
    chmod 0660 "$D/pop$n/bird.ctl"
    write_deploy "$n"
}

# $D/popN/deploy IMAGE [relay|controller]: (re)creates pop N's containers from IMAGE, the relay
# and/or the controller, and returns once they started. The lab starts its containers with it, and
# the rollout's inventory names it as the PoP's deploy command: the PoP's container configuration
# lives in this one place. Each container's output is appended to $D/<relay|controller>-popN.log.
write_deploy() {  # write_deploy N
    local n="$1" relay_opts controller_args
    relay_opts=(--network "ns:/run/netns/lab-pop$n" --read-only --read-only-tmpfs=false
        --mount type=tmpfs,destination=/run,chown=true --cap-drop all --cap-add NET_BIND_SERVICE
        -v "$D/pop$n:/etc/relay:ro" -v "$D/pop$n/state:/var/lib/relay" -e "JAVA_OPTS=${JAVA_OPTS//-Xshare:auto/}" --no-healthcheck)
    [[ $OPERATOR != wireguard ]] || relay_opts+=(--cap-add NET_ADMIN --device /dev/net/tun)
    controller_args=(--network "ns:/run/netns/lab-pop$n" --read-only --read-only-tmpfs=false --cap-drop all
        -v "$D/pop$n:$D/pop$n" -e "JAVA_OPTS=${JAVA_OPTS//-Xshare:auto/}" --no-healthcheck)
    {
        echo '#!/usr/bin/env bash'
        echo "# Written by lab/run.sh --containers: (re)creates lab-pop$n's relay and/or controller from IMAGE."
        echo '#   deploy IMAGE [relay|controller]'
        echo 'set -euo pipefail'
        echo 'image=${1:?usage: deploy IMAGE [relay|controller]}; what=${2:-both}'
        echo 'up() {  # up NAME LOG PODMAN-RUN-OPTION... -- ARG...: replaces the container NAME'
        echo '    local name=$1 log=$2; shift 2'
        echo "    podman rm --force --time $CONTAINER_STOP_TIMEOUT \"\$name\" >/dev/null 2>&1 || true"
        echo '    local opts=() ; while [[ $1 != -- ]]; do opts+=("$1"); shift; done; shift'
        echo '    podman run -d --name "$name" "${opts[@]}" "$image" "$@" >/dev/null'
        echo '    setsid podman logs --follow "$name" >>"$log" 2>&1 </dev/null &'
        echo '}'
        printf 'if [[ $what != controller ]]; then\n    up %q %q' "$(ctr "relay-pop$n")" "$D/relay-pop$n.log"
        printf ' %q' "${relay_opts[@]}" -- run --config /etc/relay/relay.yaml
        printf '\nfi\nif [[ $what != relay ]]; then\n    up %q %q' "$(ctr "controller-pop$n")" "$D/controller-pop$n.log"
        printf ' %q' "${controller_args[@]}" -- "${CONTROLLER_ARGS[@]}"
        printf '\nfi\n'
    } >"$D/pop$n/deploy"
    chmod +x "$D/pop$n/deploy"
}

# The relay as lab/run.sh --check drives it, a process or a container.
relay_signal() {  # relay_signal N SIGNAL
    if ((CONTAINERS)); then
        podman kill --signal "$2" "$(ctr "relay-pop$1")" >/dev/null
    else
        kill "-$2" "${PIDS[relay-pop$1]}"
    fi
}
relay_running() {  # relay_running N
    if ((CONTAINERS)); then container_running "$(ctr "relay-pop$1")"; else kill -0 "${PIDS[relay-pop$1]}" 2>/dev/null; fi
}
relay_reap() {  # relay_reap N: waits (bounded) for pop N's relay to be gone; sets RELAY_RC to its exit status
    RELAY_RC=0
    if ((CONTAINERS)); then
        await 30 "pop$1's relay container to stop" eval "! relay_running $1"
        RELAY_RC=$(podman container inspect --format '{{.State.ExitCode}}' "$(ctr "relay-pop$1")")
    else
        wait "${PIDS[relay-pop$1]}" 2>/dev/null || RELAY_RC=$?
        unset "PIDS[relay-pop$1]"
    fi
}

# Catchment clients: the router sends what lab-client sends from 10.0.0.1N to pop N, whatever BGP
# chose, as a client in pop N's catchment would be served by it. The rollout's third gate ("a request
# through the VIP from the client side answered by this PoP") uses them: pop2 never carries lab-client's
# own traffic while pop1 is healthy.
setup_catchments() {
    local n
    for n in 1 2; do
        ip -n lab-client addr add "10.0.0.1$n/24" dev c-r
        ip -n lab-router rule add from "10.0.0.1$n" lookup "10$n"
        ip -n lab-router route add "$VIP/32" via "10.0.$n.2" table "10$n"
    done
}

# The rollout's inventory of the lab's PoPs (lab/rollout.sh, "Inventory").
write_inventory() {
    local n
    {
        echo "# The lab's PoPs for lab/rollout.sh (written by lab/run.sh)."
        for n in 1 2; do
            echo "[pop$n]"
            echo "engine = podman"
            echo "on = ip netns exec lab-pop$n"
            echo "relay = $(ctr "relay-pop$n")"
            echo "controller = $(ctr "controller-pop$n")"
            echo "readyz = http://127.0.0.1:9090/readyz"
            echo "status = http://127.0.0.1:9191/status"
            echo "deploy = $D/pop$n/deploy"
            echo "probe = ip netns exec lab-client python3 $LAB/labtool.py probe --source 10.0.0.1$n --target $VIP --tls --cafile $D/op/demo.crt --host $HOST"
        done
    } >"$D/pops.inventory"
}

# ---- --check-rollout -----------------------------------------------------------------------------
start_vip_loops() {  # HTTP and TLS through the VIP from lab-client, one request each every 50 ms
    LOOP_N=$((LOOP_N + 1))
    rm -f "$D/loop.stop"
    HTTP_LOG="$D/loop$LOOP_N-http.out"
    TLS_LOG="$D/loop$LOOP_N-tls.out"
    : >"$HTTP_LOG"
    : >"$TLS_LOG"
    start loop-http lab-client python3 "$LAB/labtool.py" loop --target "$VIP" --port 80 --host "$HOST" \
        --interval 0.05 --timeout 2 --max-seconds 600 --max-count 12000 --stop-file "$D/loop.stop" --out "$HTTP_LOG"
    start loop-tls lab-client python3 "$LAB/labtool.py" loop --target "$VIP" --port 443 --host "$HOST" --tls \
        --cafile "$D/op/demo.crt" --interval 0.05 --timeout 2 --max-seconds 600 --max-count 12000 \
        --stop-file "$D/loop.stop" --out "$TLS_LOG"
    await 10 "the client loops' first answers" eval "grep -q ' ok ' '$HTTP_LOG' && grep -q ' ok ' '$TLS_LOG'"
}
stop_vip_loops() {  # prints one count line per loop
    touch "$D/loop.stop"
    stop_pid "${PIDS[loop-http]}" TERM 5
    stop_pid "${PIDS[loop-tls]}" TERM 5
    unset "PIDS[loop-http]" "PIDS[loop-tls]"
    local t1
    t1=$(now)
    echo "http: $(tool count --log "$HTTP_LOG" --since 0 --until "$t1" | head -1)"
    echo "tls: $(tool count --log "$TLS_LOG" --since 0 --until "$t1" | head -1)"
    tool count --log "$HTTP_LOG" --since 0 --until "$t1" | sed 1d
    tool count --log "$TLS_LOG" --since 0 --until "$t1" | sed 1d
}
image_id() { podman image inspect --format '{{.Id}}' "$1"; }
runs_image() {  # runs_image CONTAINER IMAGE
    [[ "$(podman container inspect --format '{{.Image}}' "$1" 2>/dev/null)" == "$(image_id "$2")" ]]
}

rollout() {  # rollout IMAGE OUTPUT: lab/rollout.sh over the lab's inventory; sets ROLLOUT_RC
    set +e
    "$LAB/rollout.sh" --inventory "$D/pops.inventory" --drain-timeout 30 --ready-timeout 90 "$1" 2>&1 \
        | tee "$2" | sed 's/^/    /'
    ROLLOUT_RC=${PIPESTATUS[0]}
    set -e
}

loops_clean() {  # loops_clean COUNTS WHAT: no failed request in stop_vip_loops' COUNTS, else say so (return 1)
    grep -q 'fail:' <<<"$(head -2 <<<"$1")" || return 0
    log "FAIL: client requests failed during $2:"
    printf '%s\n' "$1" | sed 1,2d
    return 1
}

ROLLOUT_NEXT=""
ROLLOUT_BROKEN=""
check_rollout() {
    local ok=1 rc out counts n
    write_inventory
    log "rollout check 1/2: lab/rollout.sh $ROLLOUT_NEXT (from $IMAGE), client loops through the VIP every 50 ms (HTTP and TLS)"
    start_vip_loops
    rollout "$ROLLOUT_NEXT" "$D/rollout1.out"
    rc=$ROLLOUT_RC
    counts=$(stop_vip_loops)
    result "roll to $ROLLOUT_NEXT: exit ${rc:-?}; $(grep -E '^rollout: pop[0-9]+ done' "$D/rollout1.out" | sed 's/^rollout: //' | paste -sd';' -); loops: $(head -2 <<<"$counts" | paste -sd' ' -)"
    [[ $rc == 0 ]] || { ok=0; log "FAIL: the rollout to $ROLLOUT_NEXT exited ${rc:-?}"; }
    for n in 1 2; do
        runs_image "$(ctr "relay-pop$n")" "$ROLLOUT_NEXT" && runs_image "$(ctr "controller-pop$n")" "$ROLLOUT_NEXT" \
            || { ok=0; log "FAIL: pop$n does not run $ROLLOUT_NEXT after the rollout"; }
    done
    loops_clean "$counts" "the rollout" || ok=0
    if [[ -n $ROLLOUT_BROKEN ]]; then
        log "rollout check 2/2: lab/rollout.sh $ROLLOUT_BROKEN (broken: must stop at pop1 and put $ROLLOUT_NEXT back)"
        start_vip_loops
        rollout "$ROLLOUT_BROKEN" "$D/rollout2.out"
        rc=$ROLLOUT_RC
        counts=$(stop_vip_loops)
        result "roll to $ROLLOUT_BROKEN: exit ${rc:-?}: $(grep -E '^rollout: (gate|rolled back)' "$D/rollout2.out" | sed 's/^rollout: //' | paste -sd';' -); loops: $(head -2 <<<"$counts" | paste -sd' ' -)"
        [[ $rc == 1 ]] || { ok=0; log "FAIL: the rollout to the broken image exited ${rc:-?} (expected: 1, a gate failed and the PoP was rolled back)"; }
        grep -q "^rollout: gate readyz failed on pop1" "$D/rollout2.out" || { ok=0; log "FAIL: the rollout did not name pop1's readyz gate"; }
        for n in 1 2; do
            runs_image "$(ctr "relay-pop$n")" "$ROLLOUT_NEXT" || { ok=0; log "FAIL: pop$n's relay does not run $ROLLOUT_NEXT after the rollback"; }
        done
        relay_ready 1 && announced 1 && announced 2 || { ok=0; log "FAIL: the PoPs are not both healthy after the rollback"; }
        loops_clean "$counts" "the aborted rollout" || ok=0
    fi
    echo
    verdict "$ok" "containers from $IMAGE; controller interval $CTRL_INTERVAL, rise $CTRL_RISE, fall $CTRL_FALL, drain-delay $CTRL_DRAIN_DELAY; relay drain.delay $RELAY_DRAIN_DELAY"
}
