#!/usr/bin/env bash
# A/B of relay builds (or JVM flags), alternating within each round:
#
#   bench/e2e/ab-relay.sh ROUNDS LABEL=DIR[=JAVA_OPTS]...
#
# DIR holds a snapshot of bin/ and relay/target/{relay-*.jar,lib} (copy them aside after each
# build). Each variant gets its own relay on the same nginx `return "ok\n"` upstream, a warm-up of
# WARM connections (30000), then ROUNDS rounds of T seconds (5) each, Chromium's ClientHello.
# By default each round is the connection rate with CONC connections in flight (64); MODE=latency
# measures the open-loop latency at RATE exchanges/s (1000) instead (loadgen's p50/p99 in the
# output). Prints conn/s and the relay's CPU µs per connection (utime+stime of its process tree
# over the run) with the load average. Less than e2e.sh measures (no peers, no memory), but two
# builds side by side in a few minutes. HOLD=S keeps the relays S seconds after the rounds (to
# attach strace or perf). DEFER_<LABEL>=VALUE writes listen.defer_accept: VALUE into that variant's
# config (e.g. DEFER_off=0s). Run under `flock /work/bench.lock`.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=relay-config.sh
. "$HERE/relay-config.sh"
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=$1; shift
T=${T:-5}
WARM=${WARM:-30000}
W=$(mktemp -d /tmp/airdress-ab.XXXXXX)
HELLO=$ROOT/sni-parser/src/test/resources/fixtures/clienthello/chromium.bin
SNI=chromium.fixtures.airdress.test
LG=$W/loadgen
gcc -O2 -Wall -o "$LG" "$HERE/loadgen.c"
pids=()
cleanup() {
  for p in "${pids[@]}"; do for c in $(pgrep -P "$p"); do kill "$c" 2>/dev/null || true; done; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
port() { echo $(( 20000 + RANDOM % 12000 )); }
UP=$(port)
mkdir -p "$W/up"
cat >"$W/up/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
pid $W/up/nginx.pid;
error_log $W/up/error.log warn;
events { worker_connections 4096; }
stream { server { listen 127.0.0.1:$UP backlog=4096; return "ok\n"; } }
EOF
/usr/sbin/nginx -p "$W/up" -c "$W/up/nginx.conf" & pids+=($!)
declare -A PID PORT
labels=()
for v in "$@"; do
  IFS='=' read -r label dir opts <<<"$v"
  labels+=("$label")
  p=$(port); d="$W/$label"; mkdir -p "$d" "$d-log"
  defer_var="DEFER_$label"
  write_relay_config "$d" "$SNI" "$UP" "$p" "$(port)" "${!defer_var:-}"
  (cd "$d" && JAVA_OPTS="-Dairdress.access.file=$d-log/access.log ${opts:-}" exec "$dir/bin/relay" run --config "$d/relay.yaml" >"$d/out" 2>"$d/err") &
  PID[$label]=$!; PORT[$label]=$p; pids+=($!)
done
for l in "${labels[@]}"; do
  for i in $(seq 200); do ss -Htnl "sport = :${PORT[$l]}" | grep -q . && break; sleep 0.1; done
done
cpu() { local t=0 p; for p in $(pgrep -P "$1") "$1"; do t=$(( t + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0) )); done; echo "$t"; }
for l in "${labels[@]}"; do
  "$LG" connrate --hello "$HELLO" --conc 64 --duration 40 --count "$WARM" --src 127.0.0.2-127.0.0.9 --target 127.0.0.1:${PORT[$l]} >/dev/null
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  for l in "${labels[@]}"; do
    c0=$(cpu "${PID[$l]}")
    if [[ ${MODE:-connrate} == latency ]]; then
      out=$("$LG" latency --hello "$HELLO" --rate "${RATE:-1000}" --duration "$T" --timeout 2000 --src 127.0.0.2-127.0.0.9 --target 127.0.0.1:${PORT[$l]})
    else
      out=$("$LG" connrate --hello "$HELLO" --conc "${CONC:-64}" --duration "$T" --timeout 2000 --src 127.0.0.2-127.0.0.9 --target 127.0.0.1:${PORT[$l]})
    fi
    c1=$(cpu "${PID[$l]}")
    ok=$(sed -n 's/.*\bok=\([0-9]*\).*/\1/p' <<<"$out"); rate=$(sed -n 's/.*\brate=\([0-9.]*\).*/\1/p' <<<"$out")
    us=$(awk -v a="$c0" -v b="$c1" -v n="$ok" 'BEGIN{printf "%.0f", (b-a)*10000/n}')
    echo "round $r $l rate=$rate us/conn=$us load=$(cut -d' ' -f1 /proc/loadavg) | $out"
  done
done
if [[ -n ${HOLD:-} ]]; then echo "holding; pids: ${PID[*]}"; sleep "$HOLD"; fi
