#!/usr/bin/env bash
# Resident memory at idle with 1,000 operators routed, and per idle connection: the relay beside
# HAProxy (nbthread 1), the same 1,000 routes in each, alternating within each round. Then each
# relay variant once more with -XX:NativeMemoryTracking=summary for where its memory goes (NMT by category, and the
# resident pages of its mappings from /proc/PID/smaps).
#
#   bench/e2e/idle-rss.sh [--conns N] [--rounds R] [--operators K] [--relay LABEL=JAVA_OPTS]...
#
# --conns: idle established connections held (5,000; each costs the proxy two descriptors and the
# hard limit here is 20,000); --rounds: 3; --operators: 1,000. --relay adds a relay variant with
# extra JVM flags (e.g. --relay 'small=-Xmx64m -XX:TieredStopAtLevel=1'); "relay" (bin/relay's own
# flags) always runs. Needs a built bin/relay, gcc, /usr/sbin/haproxy and nginx's stream module (as
# e2e.sh). Each proxy is started afresh per measurement and warmed up by 100 waves of 64 connections
# (ClientHello sent, upstream's first byte received); "idle RSS" is read 2 s after that, then N
# connections are opened and held (hello sent, the upstream's first byte received: two sockets in
# the proxy), and RSS read again 1 s after the last one is in. RSS = VmRSS of the proxy's process.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N=5000 ROUNDS=3 OPS=1000
VARIANTS=("relay=")
while (($#)); do
  case "$1" in
    --conns) N=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --operators) OPS=$2; shift ;;
    --relay) VARIANTS+=("$2"); shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "idle-rss.sh: unknown option: $1 (expected: --conns, --rounds, --operators, --relay)" >&2; exit 2 ;;
  esac
  shift
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if (( 2 * N + 1000 > NOFILE )); then
  echo "idle-rss.sh: --conns $N needs $((2 * N + 1000)) descriptors, the limit is $NOFILE" >&2; exit 2
fi
[[ -x $ROOT/bin/relay ]] && compgen -G "$ROOT/relay/target/relay-*.jar" >/dev/null \
  || { echo "idle-rss.sh: build the relay first (./mvnw -pl relay -am package -DskipTests)" >&2; exit 2; }

W=$(mktemp -d /tmp/airdress-idle-rss.XXXXXX)
PIDS=()
cleanup() {
  local p c
  for p in "${PIDS[@]}"; do
    for c in $(pgrep -P "$p" 2>/dev/null); do kill "$c" 2>/dev/null || true; done
    kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
log() { echo "[idle-rss $(date -u +%H:%M:%S)] $*" >&2; }
port() { echo $(( 20000 + RANDOM % 12000 )); }
await_listen() { local i; for i in $(seq 300); do ss -Htnl "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
load() { cut -d' ' -f1 /proc/loadavg; }
# The proxy's process: bin/relay execs java, HAProxy runs in the foreground (-db): $! is it.
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

LG=$W/loadgen
gcc -O2 -Wall -o "$LG" "$HERE/loadgen.c"
HELLO=$ROOT/sni-parser/src/test/resources/fixtures/clienthello/chromium.bin
SNI=chromium.fixtures.airdress.test
SRC=127.0.0.2-127.0.0.9
UP=$(port)
"$LG" serve --listen "127.0.0.1:$UP" --mode hold >"$W/up.out" 2>&1 & PIDS+=($!)
await_listen "$UP"

# The same K routes everywhere: the benchmark's SNI and K-1 others, each its own upstream entry.
hosts() { echo "$SNI"; local i; for ((i = 1; i < OPS; i++)); do printf 'op%04d.bench.airdress.test\n' "$i"; done; }
{
  echo "operators:"
  i=0
  while read -r h; do
    printf '  - name: op%04d\n    hosts: ["%s"]\n    upstream: { tls: "127.0.0.1:%s" }\n' "$i" "$h" "$UP"
    i=$((i + 1))
  done < <(hosts)
} >"$W/operators.yaml"
{
  i=0
  while read -r h; do printf '%s op%04d\n' "$h" "$i"; i=$((i + 1)); done < <(hosts)
} >"$W/hosts.map"

start_relay() {  # opts -> sets PID PORT
  local opts=$1 d
  PORT=$(port); d=$(mktemp -d "$W/relay.XXXX")
  cat >"$d/relay.yaml" <<EOF
pop: bench
listen:
  tls: "127.0.0.1:$PORT"
management:
  listen: "127.0.0.1:$(port)"
operators_file: $W/operators.yaml
limits: { max_connections: 1000000, max_connections_per_ip: 1000000, max_peeking_per_ip: 1000000 }
timeouts: { peek: 30s, connect: 5s, idle: 5m }
drain: { delay: 100ms, timeout: 1s }
upstreams: { allow_loopback: true }
EOF
  # shellcheck disable=SC2086
  (cd "$d" && JAVA_OPTS="-Dairdress.access.file=$d/access.log $opts" exec "$ROOT/bin/relay" run --config "$d/relay.yaml" >"$d/out" 2>"$d/err") &
  PID=$!; PIDS+=($PID)
  await_listen "$PORT" || { cat "$d/err" >&2; exit 1; }
  # bin/relay execs java, so the subshell's pid is the JVM's; make sure.
  local j; j=$(pgrep -P "$PID" java || true)
  if [[ -n $j ]]; then PID=$j; fi
}
start_haproxy() {
  local d
  PORT=$(port); d=$(mktemp -d "$W/haproxy.XXXX")
  {
    cat <<EOF
global
  nbthread 1
  maxconn $(( (NOFILE - 200) / 2 ))
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
frontend tls
  bind 127.0.0.1:$PORT
  tcp-request inspect-delay 30s
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend %[req.ssl_sni,lower,map($W/hosts.map)]
EOF
    local i
    for ((i = 0; i < OPS; i++)); do printf 'backend op%04d\n  server up 127.0.0.1:%s\n' "$i" "$UP"; done
  } >"$d/haproxy.cfg"
  /usr/sbin/haproxy -db -f "$d/haproxy.cfg" >"$d/out" 2>"$d/err" &
  PID=$!; PIDS+=($PID)
  await_listen "$PORT" || { cat "$d/err" >&2; exit 1; }
}

declare -A IDLE PER
measure() {  # label start_fn opts
  local label=$1 out base rss i lg
  "$2" "${3:-}"
  "$LG" idle --conns 64 --cycles 100 --hold 0 --hello "$HELLO" --src "$SRC" --target "127.0.0.1:$PORT" >/dev/null
  sleep 2
  base=$(rss_kb "$PID")
  "$LG" idle --conns "$N" --hold 300 --hello "$HELLO" --src "$SRC" --target "127.0.0.1:$PORT" >"$W/idle.out" 2>"$W/idle.err" &
  lg=$!
  for i in $(seq 1200); do grep -q '^mode=idle ' "$W/idle.out" 2>/dev/null && break; sleep 0.1; done
  out=$(grep '^mode=idle ' "$W/idle.out" || echo "failed=1")
  sleep 1
  rss=$(rss_kb "$PID")
  if [[ $out == *failed=* ]]; then log "$label: $out $(tail -1 "$W/idle.err")"; fi
  if [[ -n ${NMT:-} ]]; then
    jcmd "$PID" VM.native_memory summary scale=KB >"$W/nmt.txt" 2>&1 || true
    cp "/proc/$PID/smaps" "$W/smaps.txt" 2>/dev/null || true
  fi
  kill "$lg" 2>/dev/null || true; wait "$lg" 2>/dev/null || true
  stop "$PID"
  local per; per=$(awk -v a="$base" -v b="$rss" -v n="$N" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
  IDLE[$label]+="$((base / 1024)) "; PER[$label]+="$per "
  printf '| %s | %s | %.1f | %.1f | %s | %s | %s |\n' "$ROUND" "$label" "$(bc -l <<<"$base/1024")" "$(bc -l <<<"$rss/1024")" "$per" "$(load)" "$out"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# Idle resident memory, $OPS operators routed, $N idle connections"
echo
echo "\`bench/e2e/idle-rss.sh --conns $N --rounds $ROUNDS --operators $OPS$(for v in "${VARIANTS[@]:1}"; do printf " --relay '%s'" "$v"; done)\`, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$ROOT" rev-parse --short HEAD), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | proxy | idle RSS MiB | RSS with $N idle MiB | bytes per idle connection | load | loadgen |"
echo "|---|---|---:|---:|---:|---|---|"
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  measure haproxy start_haproxy
  for v in "${VARIANTS[@]}"; do measure "${v%%=*}" start_relay "${v#*=}"; done
done
echo
echo "| proxy | idle RSS MiB, median | bytes per idle connection, median | vs HAProxy (idle RSS / per connection) |"
echo "|---|---:|---:|---|"
hi=$(median <<<"${IDLE[haproxy]}"); hp=$(median <<<"${PER[haproxy]}")
for l in haproxy "${VARIANTS[@]%%=*}"; do
  i=$(median <<<"${IDLE[$l]}"); p=$(median <<<"${PER[$l]}")
  echo "| $l | $i | $p | $(awk -v a="$i" -v b="$hi" -v c="$p" -v d="$hp" 'BEGIN { printf "%.2f / %.2f", a / b, c / d }') |"
done

# Where the relay's memory goes: each relay variant once more, with NMT.
for v in "${VARIANTS[@]}"; do
  l=${v%%=*}
  echo
  echo "## $l with NMT (\`-XX:NativeMemoryTracking=summary\`), while holding $N idle connections"
  echo
  echo "| round | proxy | idle RSS MiB | RSS with $N idle MiB | bytes per idle connection | load | loadgen |"
  echo "|---|---|---:|---:|---:|---|---|"
  ROUND=nmt NMT=1 measure "$l-nmt" start_relay "${v#*=} -XX:NativeMemoryTracking=summary"
  echo
  echo "NMT's own bookkeeping is its \"Native Memory Tracking\" line. Committed KiB by category (memory the JVM has made usable; resident is at most that, except that the shared class space is a file mapping):"
  echo
  echo '```'
  awk '
    /^Total:/ { sub(/.*committed=/, ""); sub(/KB.*/, ""); printf "%10d  total committed\n", $0 }
    /^-  *[A-Z]/ { line = $0; name = line; sub(/^- */, "", name); sub(/ *\(.*/, "", name)
                   c = line; sub(/.*committed=/, "", c); sub(/KB.*/, "", c); if (c + 0 >= 100) printf "%10d  %s\n", c, name }
  ' "$W/nmt.txt" | sort -rn
  echo '```'
  echo
  echo "Resident KiB by mapping (/proc/PID/smaps; [anon] is the heap, metaspace, code cache, GC structures, thread stacks, malloc arenas and direct buffers; the files are libjvm, the CDS/AOT archive and the module image):"
  echo
  echo '```'
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; sub(/.*\//, "", name) }
    /^Rss:/ { rss[name] += $2; total += $2 }
    END { for (n in rss) if (rss[n] >= 256) printf "%10d  %s\n", rss[n], n; printf "%10d  total\n", total }
  ' "$W/smaps.txt" | sort -rn
  echo '```'
done
echo
echo "Resident KiB by mapping (/proc/PID/smaps; anonymous memory is the heap, metaspace, code cache, thread stacks, malloc arenas and direct buffers; files are libjvm, the module image and the CDS/AOT archive):"
echo
echo '```'
awk '
  /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"; sub(/.*\//, "", name) }
  /^Rss:/ { rss[name] += $2; total += $2 }
  END { for (n in rss) if (rss[n] >= 256) printf "%10d  %s\n", rss[n], n; printf "%10d  total\n", total }
' "$W/smaps.txt" | sort -rn
echo '```'
