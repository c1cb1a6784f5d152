#!/usr/bin/env bash
# iperf3 through the relay's Java WireGuard tunnel vs wireguard-go <-> wireguard-go, in the same
# topology and the same run, alternating rounds. Writes bench/e2e/TUNNEL-RESULTS.md.
#
#   sudo bench/e2e/tunnel.sh                # ROUNDS=3 DURATION=5 by default
#   sudo ROUNDS=5 DURATION=10 bench/e2e/tunnel.sh
#   sudo BASELINE=/tmp/old bench/e2e/tunnel.sh   # A/B: a second Java relay from another build
#   sudo OUT=/tmp/t.md bench/e2e/tunnel.sh      # the report elsewhere than TUNNEL-RESULTS.md
#
# BASELINE names a directory holding bin/relay and relay/target of another build (e.g. a copy made
# before a change): it then runs as a third path, "java-base", in the same rounds, so before/after
# figures come from the same run. RELAY_JAVA_OPTS is passed to this tree's relay only (e.g. a
# -XX:StartFlightRecording=... to profile it), BASELINE_JAVA_OPTS to the baseline's.
#
# Needs: root (network namespaces, TUN), ip (iproute2), wireguard-go, wg, iperf3, jq, python3, and
# the relay built: ./mvnw -B -q -pl relay -am package -DskipTests (bin/relay runs relay/target).
# Installs nothing.
#
# Topology: two namespaces joined by a veth pair (relay 192.168.201.1, operator .2). The operator
# runs one wireguard-go interface with two peers and an iperf3 server:
#   (a) a wireguard-go interface in the relay namespace (fd00:a1d:1::1 <-> fd00:a1d:1::a, UDP 51820)
#   (b) `bin/relay run` with a `wireguard:` section and one operator of kind wireguard
#       (fd00:a1d:2::1 <-> fd00:a1d:2::a, UDP 51821)
# Both relay sides stay up for the whole run (so the JVM stays warm); each round measures (a) and
# (b) one after the other, in alternating order, relay->operator (iperf3 client sends) and
# operator->relay (-R). The figure is iperf3's receiver average (sum_received). Beside it, the CPU
# the relay side spent per gigabit delivered (utime+stime of the relay-side wireguard-go process or
# of the Java relay over that iperf3 run, divided by the gigabits received; the operator's
# wireguard-go is the same for every path and not counted).
# Everything started here is stopped by pid and the namespaces deleted on every exit.
set -euo pipefail

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${OUT:-$root/bench/e2e/TUNNEL-RESULTS.md}"
command_line="ROUNDS=$ROUNDS DURATION=$DURATION${BASELINE:+ BASELINE=$BASELINE} bench/e2e/tunnel.sh"

die() { echo "tunnel.sh: $*" >&2; exit 2; }

[[ "$(id -u)" -eq 0 ]] || die "needs root (network namespaces, TUN devices)"
for tool in ip wireguard-go wg iperf3 jq python3 ss; do
    command -v "$tool" >/dev/null || die "needs $tool on PATH"
done
ls "$root"/relay/target/relay-*.jar >/dev/null 2>&1 && [[ -d "$root/relay/target/lib" ]] \
    || die "relay not built: run ./mvnw -B -q -pl relay -am package -DskipTests"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS and DURATION: positive integers"

id=$$
ns_r="wgb-r-$id"
ns_o="wgb-o-$id"
veth_r="wbr$id"
veth_o="wbo$id"
wg_r="wgr$id"     # wireguard-go, relay side
wg_o="wgo$id"     # wireguard-go, operator side
jr="jr$id"        # the Java relay's TUN
jb="jb$id"        # the baseline Java relay's TUN (BASELINE only)
BASELINE="${BASELINE:-}"
if [[ -n "$BASELINE" ]]; then
    [[ -x "$BASELINE/bin/relay" ]] && ls "$BASELINE"/relay/target/relay-*.jar >/dev/null 2>&1 \
        || die "BASELINE=$BASELINE: no bin/relay and relay/target there"
fi
work="$(mktemp -d /tmp/airdress-tunnel-bench.XXXXXX)"
pids=()

cleanup() {
    local rc=$?
    set +e
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    # Anything else still running inside our namespaces (there should be nothing) goes too.
    for ns in "$ns_r" "$ns_o"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
    done
    ip netns del "$ns_r" 2>/dev/null
    ip netns del "$ns_o" 2>/dev/null
    rm -f "/var/run/wireguard/$wg_r.sock" "/var/run/wireguard/$wg_o.sock" "/var/run/wireguard/$jr.sock" "/var/run/wireguard/$jb.sock"
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_r() { ip netns exec "$ns_r" "$@"; }
in_o() { ip netns exec "$ns_o" "$@"; }

# Waits up to $1 seconds for the command to succeed.
await() {
    local seconds="$1" what="$2"
    shift 2
    for _ in $(seq $((seconds * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out after ${seconds}s waiting for $what"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "tunnel.sh: topology $ns_r <-> $ns_o" >&2
ip netns add "$ns_r"
ip netns add "$ns_o"
in_r ip link set lo up
in_o ip link set lo up
ip link add "$veth_r" netns "$ns_r" type veth peer name "$veth_o" netns "$ns_o"
in_r ip addr add 192.168.201.1/24 dev "$veth_r"
in_o ip addr add 192.168.201.2/24 dev "$veth_o"
in_r ip link set "$veth_r" up
in_o ip link set "$veth_o" up

start_wireguard_go() { # ns interface
    rm -f "/var/run/wireguard/$2.sock"
    ip netns exec "$1" wireguard-go -f "$2" >"$work/$2.log" 2>&1 &
    pids+=($!)
    await 10 "wireguard-go $2" test -S "/var/run/wireguard/$2.sock"
}

key_r="$(wg genkey)"; pub_r="$(wg pubkey <<<"$key_r")"
key_o="$(wg genkey)"; pub_o="$(wg pubkey <<<"$key_o")"
key_j="$(wg genkey)"; pub_j="$(wg pubkey <<<"$key_j")"
(
    umask 077
    printf '%s\n' "$key_r" >"$work/r.key"
    printf '%s\n' "$key_o" >"$work/o.key"
    printf '%s\n' "$key_j" >"$work/j.key"
)

# (a) and the operator: wireguard-go.
start_wireguard_go "$ns_o" "$wg_o"
in_o wg set "$wg_o" private-key "$work/o.key" listen-port 51820
in_o ip addr add fd00:a1d:1::a/64 dev "$wg_o" nodad
in_o ip addr add fd00:a1d:2::a/64 dev "$wg_o" nodad
in_o ip link set dev "$wg_o" mtu 1420 up
start_wireguard_go "$ns_r" "$wg_r"
wggo_pid="${pids[-1]}"
in_r wg set "$wg_r" private-key "$work/r.key" listen-port 51820 \
    peer "$pub_o" allowed-ips fd00:a1d:1::a/128 endpoint 192.168.201.2:51820
in_r ip addr add fd00:a1d:1::1/64 dev "$wg_r" nodad
in_r ip link set dev "$wg_r" mtu 1420 up
in_o wg set "$wg_o" peer "$pub_r" allowed-ips fd00:a1d:1::/64 endpoint 192.168.201.1:51820

# (b) the Java relay, and (c) the baseline build's when BASELINE is set.
in_o ip addr add fd00:a1d:3::a/64 dev "$wg_o" nodad
start_java_relay() { # relay-root interface udp-port prefix key-file label java-opts
    local relay_root="$1" ifname="$2" port="$3" prefix="$4" keyfile="$5" label="$6" opts="$7"
    mkdir -p "$work/$label"
    cp "$work/$keyfile" "$work/$label/j.key"
    cat >"$work/$label/relay.yaml" <<EOF
pop: bench1
listen: { http: "127.0.0.1:0" }
management: { listen: "127.0.0.1:0" }
operators_file: operators.yaml
drain: { delay: 1ms, timeout: 1s }
wireguard:
  interface: $ifname
  private_key_file: j.key
  listen_port: $port
  addresses: ["$prefix::1/64"]
  mtu: 1420
EOF
    cat >"$work/$label/operators.yaml" <<EOF
operators:
  - name: bench
    hosts: ["bench.example.test"]
    wireguard: { public_key: "$pub_o", address: "$prefix::a" }
EOF
    "$relay_root/bin/relay" check --config "$work/$label/relay.yaml" >"$work/$label/check.log" 2>&1 \
        || die "relay check failed ($label): $(cat "$work/$label/check.log")"
    # Started with ip netns exec directly (not through a subshell): $! is then the process itself
    # (ip netns exec and bin/relay both exec), so cleanup can kill it.
    JAVA_OPTS="$opts" ip netns exec "$ns_r" "$relay_root/bin/relay" run --config "$work/$label/relay.yaml" \
        >"$work/$label/relay.out" 2>"$work/$label/relay.err" &
    pids+=($!)
    await 60 "the Java relay's interface $ifname" bash -c "ip -n $ns_r link show $ifname | grep -q ',UP'"
}
start_java_relay "$root" "$jr" 51821 fd00:a1d:2 j.key java "${RELAY_JAVA_OPTS:-}"
java_pid="${pids[-1]}"
in_o wg set "$wg_o" peer "$pub_j" allowed-ips fd00:a1d:2::/64 endpoint 192.168.201.1:51821 persistent-keepalive 25
if [[ -n "$BASELINE" ]]; then
    key_b="$(wg genkey)"; pub_b="$(wg pubkey <<<"$key_b")"
    (umask 077; printf '%s\n' "$key_b" >"$work/b.key")
    start_java_relay "$BASELINE" "$jb" 51822 fd00:a1d:3 b.key java-base "${BASELINE_JAVA_OPTS:-}"
    base_pid="${pids[-1]}"
    in_o wg set "$wg_o" peer "$pub_b" allowed-ips fd00:a1d:3::/64 endpoint 192.168.201.1:51822 persistent-keepalive 25
fi

# iperf3 server on the operator side, both tunnel addresses.
ip netns exec "$ns_o" iperf3 -s -p 5201 >"$work/iperf3-server.log" 2>&1 &
pids+=($!)
await 10 "iperf3 server" bash -c "ip netns exec $ns_o ss -Hltn 'sport = :5201' | grep -q 5201"

await 20 "wireguard-go <-> wireguard-go" in_r ping -6 -c1 -W1 fd00:a1d:1::a
await 20 "Java relay <-> wireguard-go" in_r ping -6 -c1 -W1 fd00:a1d:2::a
[[ -z "$BASELINE" ]] || await 20 "baseline Java relay <-> wireguard-go" in_r ping -6 -c1 -W1 fd00:a1d:3::a
paths="wggo java"
[[ -z "$BASELINE" ]] || paths="wggo java-base java"

# Prints the receiver's Mbit/s of one iperf3 run: $1 address, $2 seconds, $3 "-R" or "".
iperf() {
    local json
    json="$(in_r iperf3 -J -c "$1" -p 5201 -t "$2" ${3:+"$3"})" || die "iperf3 -c $1 $3 failed: $json"
    jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$json"
}

# CPU ticks (utime+stime, all threads) of a process; CPU seconds per gigabit received over a run.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
per_gbit() { # ticks-before ticks-after Mbit/s
    awk -v a="$1" -v b="$2" -v m="$3" -v t="$DURATION" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.3f", (b - a) / hz / (m * t / 1000) }'
}

echo "tunnel.sh: warm-up (2 s each way through each path, not recorded)" >&2
dsts="fd00:a1d:1::a fd00:a1d:2::a"
[[ -z "$BASELINE" ]] || dsts="$dsts fd00:a1d:3::a"
for dst in $dsts; do
    iperf "$dst" 2 "" >/dev/null
    iperf "$dst" 2 -R >/dev/null
done

: >"$work/results.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2 == 1)); then order="$paths"; else order="$(tr ' ' '\n' <<<"$paths" | tac | tr '\n' ' ')"; fi
    for path in $order; do
        case "$path" in
            wggo) dst=fd00:a1d:1::a ;;
            java) dst=fd00:a1d:2::a ;;
            java-base) dst=fd00:a1d:3::a ;;
        esac
        case "$path" in
            wggo) pid=$wggo_pid ;;
            java) pid=$java_pid ;;
            java-base) pid=$base_pid ;;
        esac
        c0="$(cpu_ticks "$pid")"
        up="$(iperf "$dst" "$DURATION" "")"
        c1="$(cpu_ticks "$pid")"
        down="$(iperf "$dst" "$DURATION" -R)"
        c2="$(cpu_ticks "$pid")"
        cup="$(per_gbit "$c0" "$c1" "$up")"
        cdown="$(per_gbit "$c1" "$c2" "$down")"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$path" "$up" "$down" "$cup" "$cdown" >>"$work/results.tsv"
        printf 'tunnel.sh: round %d %-9s relay->operator %7.1f  operator->relay %7.1f Mbit/s; relay-side CPU s/Gbit %s / %s\n' \
            "$round" "$path" "$up" "$down" "$cup" "$cdown" >&2
    done
done

kill -0 "$java_pid" 2>/dev/null || die "the Java relay exited during the run: $(tail -20 "$work/java/relay.err")"
[[ -z "$BASELINE" ]] || kill -0 "$base_pid" 2>/dev/null \
    || die "the baseline Java relay exited during the run: $(tail -20 "$work/java-base/relay.err")"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/results.tsv" "$out" <<EOF
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
names = {"wggo": "wireguard-go ↔ wireguard-go", "java": "Java tunnel (bin/relay run) ↔ wireguard-go",
         "java-base": "Java tunnel, BASELINE build ↔ wireguard-go"}
def cell(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"
table = ["| Path | relay→operator Mbit/s, median (min–max) | operator→relay (-R) Mbit/s, median (min–max) | relay-side CPU s per Gbit, →/←, medians | rounds |",
         "|---|---|---|---|---|"]
medians = {}
for path in [p for p in ("wggo", "java-base", "java") if any(r[1] == p for r in rows)]:
    up = [float(r[2]) for r in rows if r[1] == path]
    down = [float(r[3]) for r in rows if r[1] == path]
    medians[path] = (statistics.median(up), statistics.median(down))
    cup = statistics.median(float(r[4]) for r in rows if r[1] == path)
    cdown = statistics.median(float(r[5]) for r in rows if r[1] == path)
    each = ", ".join(f"{u:.0f}/{d:.0f}" for u, d in zip(up, down))
    table.append(f"| {names[path]} | {cell(up)} | {cell(down)} | {cup:.2f} / {cdown:.2f} | {each} |")
ratio_up = medians["java"][0] / medians["wggo"][0]
ratio_down = medians["java"][1] / medians["wggo"][1]
with open(sys.argv[2], "w") as f:
    f.write("""# Tunnel throughput: Java tunnel vs wireguard-go (iperf3)

Written by \`bench/e2e/tunnel.sh\`; rerun it to replace this file.

- Date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
- Command: \`sudo $command_line\` ($ROUNDS alternating rounds, iperf3 -t $DURATION, TCP, one stream)
- Machine: $(nproc) vCPU ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r);
  load average $load_before before, $load_after after (the cores are shared with other work: compare
  only figures from the same run)
- Tools: $(wireguard-go --version 2>&1 | head -1); $(iperf3 --version 2>&1 | head -1); $("$root/bin/relay" --version 2>&1 | head -1)
- Topology: relay and operator namespaces over a veth pair, MTU 1420 inside the tunnels; the iperf3
  client runs in the relay namespace, the server behind the operator's wireguard-go.

""")
    f.write("\n".join(table) + "\n\n")
    f.write(f"Java / wireguard-go (medians): relay→operator {ratio_up:.2f}, operator→relay {ratio_down:.2f}.\n")
    if "java-base" in medians:
        f.write(f"Baseline Java / wireguard-go (medians): relay→operator {medians['java-base'][0] / medians['wggo'][0]:.2f}, "
                f"operator→relay {medians['java-base'][1] / medians['wggo'][1]:.2f} (BASELINE=$BASELINE).\n")
print(open(sys.argv[2]).read())
EOF
