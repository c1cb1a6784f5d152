#!/usr/bin/env bash
# Backhaul cost in the attach-once lab (lab/run.sh --attach-once, lab/README.md "Attach once"):
#   latency     new-connection HTTP (Host) and HTTPS (SNI) requests from lab-client's catchment
#               sources: 10.0.0.11 lands on pop1 and crosses the backhaul to pop2 (X-Airdress-Pop
#               pop1>pop2), 10.0.0.12 lands on pop2 and is delivered over the operator's tunnel (pop2)
#   throughput  one TCP stream for SECONDS through each tunnel, in the direction of a response:
#               backhaul  lab-pop2 -> 10.200.0.1 (mesh lab-mesh-p2 -> lab-mesh-p1)
#               direct    lab-op   -> 2001:db8:96::1 (lab-op-wg -> pop2's relay lab-relay-p2)
#   download    end to end, a 100 MiB response through the relays to each catchment source: after the
#               rounds above, a bench-only upstream (backhaul.py bulk, lab-op port 8080, reading the
#               relay's PROXY v2 header) takes the demo's port 80 by an nft redirect in lab-op, on
#               lab-op-wg only (the demo's answer is a line of text: no large body to time)
#
# Needs root; run under the lab lock:
#   flock /tmp/airdress-netns.lock bench/lab/backhaul.sh [ROUNDS]
# Environment: COUNT (requests per source and round, default 500), SECONDS_TP (default 5).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/lab"
ROUNDS="${1:-3}"
COUNT="${COUNT:-500}"
SECONDS_TP="${SECONDS_TP:-5}"
D="${LAB_DIR:-/run/airdress-lab}"
LABLOG="$(mktemp /tmp/backhaul-lab.XXXXXX.log)"
[[ $(id -u) -eq 0 ]] || { echo "backhaul: needs root" >&2; exit 2; }
ip netns list | grep -q . && { echo "backhaul: namespaces exist already (another lab?): $(ip netns list | tr '\n' ' ')" >&2; exit 1; }

log() { printf '[backhaul %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
LAB_PID=""
BULK_PID=""
stop_lab() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $BULK_PID ]]; then kill -TERM "$BULK_PID" 2>/dev/null || true; wait "$BULK_PID" 2>/dev/null || true; fi
    if [[ -n $LAB_PID ]] && kill -0 "$LAB_PID" 2>/dev/null; then
        log "stopping the lab (SIGTERM to lab/run.sh, pid $LAB_PID)"
        kill -TERM "$LAB_PID"
        for _ in $(seq 1 600); do kill -0 "$LAB_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$LAB_PID" 2>/dev/null && { log "lab/run.sh still running: SIGKILL"; kill -KILL "$LAB_PID"; }
    fi
    wait 2>/dev/null || true
    grep -E 'removed:' "$LABLOG" | sed 's/^/    /' || true
    if ip netns list | grep -q .; then log "namespaces left: $(ip netns list | tr '\n' ' ')"; rc=1; else log "ip netns list: empty"; fi
    exit "$rc"
}
trap stop_lab EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "commit $(git -C "$ROOT" rev-parse --short HEAD); rounds $ROUNDS, $COUNT requests per source and round; throughput ${SECONDS_TP} s per stream; $(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg)"
log "starting lab/run.sh --attach-once (log $LABLOG)"
"$ROOT/lab/run.sh" --attach-once >"$LABLOG" 2>&1 &
LAB_PID=$!
deadline=$((SECONDS + 400))
until grep -q 'lab running' "$LABLOG"; do
    kill -0 "$LAB_PID" 2>/dev/null || { log "lab/run.sh exited:"; tail -30 "$LABLOG"; exit 1; }
    ((SECONDS < deadline)) || { log "lab not up after 400 s"; tail -30 "$LABLOG"; exit 1; }
    sleep 1
done
log "lab up after ${SECONDS} s"
grep -E 'operator path:' "$LABLOG" | tail -1 | sed 's/^/    /'
# The catchment clients of the containers mode (lab/containers.sh, setup_catchments), which
# --attach-once does not set up: the router sends 10.0.0.11 to pop1 and 10.0.0.12 to pop2.
for n in 1 2; do
    ip -n lab-client addr add "10.0.0.1$n/24" dev c-r
    ip -n lab-router rule add from "10.0.0.1$n" lookup "10$n"
    ip -n lab-router route add 192.0.2.1/32 via "10.0.$n.2" table "10$n"
done
log "catchment clients: 10.0.0.11 -> pop1, 10.0.0.12 -> pop2 (policy routes in lab-router)"
for src in 10.0.0.11 10.0.0.12; do
    log "check: $src -> $(ip netns exec lab-client curl -sS -m 5 --interface "$src" -D - -o /dev/null \
        -H 'Host: demo.example.test' http://192.0.2.1/ | grep -i '^x-airdress-pop' | tr -d '\r')"
done

py() { ip netns exec "$1" python3 "$HERE/backhaul.py" "${@:2}"; }
tp() {  # tp NAME SINK_NS SOURCE_NS ADDRESS
    rm -f /tmp/backhaul-sink.ready
    py "$2" sink --address "$4" --ready-file /tmp/backhaul-sink.ready >/tmp/backhaul-sink.out &
    local sink=$!
    for _ in $(seq 1 100); do [[ -e /tmp/backhaul-sink.ready ]] && break; sleep 0.05; done
    py "$3" source --address "$4" --seconds "$SECONDS_TP" || true
    wait "$sink" || true
    printf '%-9s %s -> %s (%s): %s\n' "$1" "$3" "$4" "$2" "$(cat /tmp/backhaul-sink.out)"
}
for r in $(seq 1 "$ROUNDS"); do
    log "round $r/$ROUNDS"
    py lab-client latency --count "$COUNT" --rounds 5
    py lab-client latency --count "$COUNT" --rounds 5 --tls --cafile "$D/op/demo.crt"
    tp backhaul lab-pop1 lab-pop2 10.200.0.1
    tp direct lab-pop2 lab-op 2001:db8:96::1
done
log "download: 100 MiB through the relays; lab-op's port 80 redirected to backhaul.py bulk on 8080 (nft, lab-op-wg only)"
ip netns exec lab-op python3 "$HERE/backhaul.py" bulk --port 8080 --size $((100 << 20)) &  # ip netns exec execs: $! is the server
BULK_PID=$!
ip netns exec lab-op nft -f - <<'NFT'
table inet bench {
    chain pre { type nat hook prerouting priority dstnat; iifname "lab-op-wg" tcp dport 80 redirect to :8080; }
}
NFT
for _ in $(seq 1 100); do ip netns exec lab-op ss -ltn | grep -q ':8080 ' && break; sleep 0.05; done
for r in $(seq 1 "$ROUNDS"); do
    log "download round $r/$ROUNDS"
    if ((r % 2)); then py lab-client download --source 10.0.0.11 --source 10.0.0.12
    else py lab-client download --source 10.0.0.12 --source 10.0.0.11; fi
done
ip netns exec lab-op nft delete table inet bench
log "done"
