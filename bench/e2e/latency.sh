#!/usr/bin/env bash
# Added latency of a small TLS-peek exchange at fixed open-loop rates: the relay beside HAProxy
# (nbthread 1) and the direct path, alternating within each round.
#
#   bench/e2e/latency.sh [--rates 1000,5000] [--rounds 3] [--duration 10] [--relay LABEL=JAVA_OPTS]...
#
# loadgen's latency mode (loadgen.c): a new connection every 1/RATE s whatever the previous ones
# did (open loop), ClientHello out, the upstream's "ok" back, closed by the upstream; latency from
# the *scheduled* start to the close, so a stall is charged to every exchange it delays (no
# coordinated omission). Percentiles from a log-linear histogram of 64 sub-buckets per power of two
# (HdrHistogram's layout at 2 significant digits: under 1.6 % error). Upstream: nginx stream
# `return "ok\n"`. Each path is warmed up by WARM connections (100,000) at 64 in flight first.
# Added = path - direct, per round (same round, same load), then the median over rounds.
# Needs gcc, nginx with the stream module, /usr/sbin/haproxy and a built bin/relay.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=relay-config.sh
. "$HERE/relay-config.sh"
RATES=1000,5000 ROUNDS=3 T=10 WARM=${WARM:-100000}
VARIANTS=("relay=")
while (($#)); do
  case "$1" in
    --rates) RATES=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) T=$2; shift ;;
    --relay) VARIANTS+=("$2"); shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "latency.sh: unknown option: $1 (expected: --rates, --rounds, --duration, --relay)" >&2; exit 2 ;;
  esac
  shift
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
W=$(mktemp -d /tmp/airdress-latency.XXXXXX)
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
port() { echo $(( 20000 + RANDOM % 12000 )); }
await_listen() { local i; for i in $(seq 300); do ss -Htnl "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }
LG=$W/loadgen
gcc -O2 -Wall -o "$LG" "$HERE/loadgen.c"
HELLO=$ROOT/sni-parser/src/test/resources/fixtures/clienthello/chromium.bin
SNI=chromium.fixtures.airdress.test
SRC=127.0.0.2-127.0.0.9

UP=$(port)
mkdir -p "$W/up"
cat >"$W/up/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
pid $W/up/nginx.pid;
error_log $W/up/error.log warn;
events { worker_connections 8192; }
stream { server { listen 127.0.0.1:$UP backlog=4096; return "ok\n"; } }
EOF
/usr/sbin/nginx -p "$W/up" -c "$W/up/nginx.conf" & PIDS+=($!)
await_listen "$UP"

declare -A TARGET
TARGET[direct]=127.0.0.1:$UP
p=$(port)
cat >"$W/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
frontend tls
  bind 127.0.0.1:$p
  tcp-request inspect-delay 30s
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend up if { req.ssl_sni -i $SNI }
backend up
  server up 127.0.0.1:$UP
EOF
/usr/sbin/haproxy -db -f "$W/haproxy.cfg" >"$W/haproxy.out" 2>&1 & PIDS+=($!)
await_listen "$p"; TARGET[haproxy]=127.0.0.1:$p
labels=(direct haproxy)
for v in "${VARIANTS[@]}"; do
  l=${v%%=*}; opts=${v#*=}; p=$(port); d="$W/$l"; mkdir -p "$d" "$d-log"
  write_relay_config "$d" "$SNI" "$UP" "$p" "$(port)"
  (cd "$d" && JAVA_OPTS="-Dairdress.access.file=$d-log/access.log $opts" exec "$ROOT/bin/relay" run --config "$d/relay.yaml" >"$d/out" 2>"$d/err") &
  PIDS+=($!)
  await_listen "$p" || { cat "$d/err" >&2; exit 1; }
  TARGET[$l]=127.0.0.1:$p; labels+=("$l")
done
for l in "${labels[@]}"; do
  [[ $l == direct ]] && continue
  "$LG" connrate --hello "$HELLO" --conc 64 --duration 60 --count "$WARM" --src "$SRC" --target "${TARGET[$l]}" >/dev/null
done

kv() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A P50 P99 P999 A99 A999
echo "# Added latency at fixed open-loop rates"
echo
echo "\`bench/e2e/latency.sh --rates $RATES --rounds $ROUNDS --duration $T$(for v in "${VARIANTS[@]:1}"; do printf " --relay '%s'" "$v"; done)\`, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$ROOT" rev-parse --short HEAD), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| rate/s | round | path | p50 µs | p99 µs | p99.9 µs | max µs | ok | failed+timeouts+dropped | load |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---|"
IFS=, read -r -a rates <<<"$RATES"
for rate in "${rates[@]}"; do
  for ((r = 1; r <= ROUNDS; r++)); do
    for l in "${labels[@]}"; do
      out=$("$LG" latency --hello "$HELLO" --rate "$rate" --duration "$T" --timeout 2000 --src "$SRC" --target "${TARGET[$l]}")
      bad=$(( $(kv errors "$out") + $(kv empty "$out") + $(kv timeouts "$out") + $(kv dropped "$out") ))
      echo "| $rate | $r | $l | $(kv p50_us "$out") | $(kv p99_us "$out") | $(kv p999_us "$out") | $(kv max_us "$out") | $(kv ok "$out") | $bad | $(cut -d' ' -f1 /proc/loadavg) |"
      P50[$rate,$r,$l]=$(kv p50_us "$out"); P99[$rate,$r,$l]=$(kv p99_us "$out"); P999[$rate,$r,$l]=$(kv p999_us "$out")
    done
    for l in "${labels[@]}"; do
      A99[$rate,$l]+="$(( P99[$rate,$r,$l] - P99[$rate,$r,direct] )) "
      A999[$rate,$l]+="$(( P999[$rate,$r,$l] - P999[$rate,$r,direct] )) "
    done
  done
done
echo
echo "Medians over rounds; added = path - direct in the same round."
echo
echo "| rate/s | path | p99 µs | p99.9 µs | p99 / HAProxy's | p99.9 / HAProxy's | added p99 µs | added p99.9 µs | added p99 / HAProxy's | added p99.9 / HAProxy's |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for rate in "${rates[@]}"; do
  h99=$(median <<<"${A99[$rate,haproxy]}"); h999=$(median <<<"${A999[$rate,haproxy]}")
  r99=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${P99[$rate,$r,haproxy]}"; done | median)
  r999=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${P999[$rate,$r,haproxy]}"; done | median)
  for l in "${labels[@]}"; do
    m99=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${P99[$rate,$r,$l]}"; done | median)
    m999=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${P999[$rate,$r,$l]}"; done | median)
    a99=$(median <<<"${A99[$rate,$l]}"); a999=$(median <<<"${A999[$rate,$l]}")
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }'; }
    [[ $l == direct ]] && { echo "| $rate | $l | $m99 | $m999 | – | – | – | – | – | – |"; continue; }
    echo "| $rate | $l | $m99 | $m999 | $(ratio "$m99" "$r99") | $(ratio "$m999" "$r999") | $a99 | $a999 | $(ratio "$a99" "$h99") | $(ratio "$a999" "$h999") |"
  done
done
