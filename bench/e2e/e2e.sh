#!/usr/bin/env bash
# End-to-end benchmark: the relay against HAProxy (tcp mode, req.ssl_sni), nginx stream +
# ssl_preread and sniproxy, on this machine, same upstream and same client, alternating runs.
# Prints a markdown report and writes it to bench/e2e/RESULTS.md. See bench/e2e/README.md.
# relay-epoll is the relay again with -Dairdress.transport=epoll (its default is io_uring where the
# kernel allows it), for the two transports side by side; ratios are always of "relay".
#
#   bench/e2e/e2e.sh [--quick] [--rounds N] [--only connrate,bulk,latency,idle]
#                    [--proxies haproxy,haproxy2t,nginx,sniproxy,relay,relay-epoll] [--out FILE]
#                    [--conc N]  (connections in flight for the connection rate; 64)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=relay-config.sh
. "$HERE/relay-config.sh"
ROOT=$(cd "$HERE/../.." && pwd)
COMMAND_LINE="bench/e2e/e2e.sh${*:+ $*}"

QUICK=0
ROUNDS=""
ONLY="connrate,bulk,latency,idle"
PROXIES=""
OUT="$HERE/RESULTS.md"
while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --proxies) PROXIES=$2; shift ;;
    --out) OUT=$2; shift ;;
    --conc) RATE_CONC=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e.sh: unknown option: $1 (expected: --quick, --rounds, --only, --proxies, --out, --conc)" >&2; exit 2 ;;
  esac
  shift
done

# Per-measurement durations (seconds) and sizes. --quick leaves out HAProxy's 2-thread variant.
if [[ -z $PROXIES ]]; then
  if ((QUICK)); then PROXIES="haproxy,nginx,sniproxy,relay"; else PROXIES="haproxy,haproxy2t,nginx,sniproxy,relay"; fi
fi
if ((QUICK)); then
  : "${ROUNDS:=1}"; WARM_COUNT=10000; T_WARM=15; T_RATE=2; T_BULK=2; T_LAT=2; LAT_RATE=1000; IDLE_COUNTS="2000"; PEEK_COUNT=2000
else
  : "${ROUNDS:=3}"; WARM_COUNT=100000; T_WARM=30; T_RATE=5; T_BULK=5; T_LAT=5; LAT_RATE=1000; IDLE_COUNTS="10000 50000"; PEEK_COUNT=10000
fi
CONC=64                 # bulk connections, and the connection rate's default
RATE_CONC=${RATE_CONC:-$CONC}
SRC="127.0.0.2-127.0.0.9"   # client source addresses: 8 x the ephemeral port range

has() { [[ ",$1," == *",$2,"* ]]; }
log() { echo "[e2e $(date -u +%H:%M:%S)] $*" >&2; }

# --- file descriptors: idle runs need two per proxied connection ------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
FD_NOTE=""
cap_established() {  # the largest idle count a proxy can hold with NOFILE (2 fds per connection)
  local want=$1 max=$(( (NOFILE - 1000) / 2 ))
  if ((want > max)); then echo $(( max / 1000 * 1000 )); else echo "$want"; fi
}

# --- temp dir, processes, cleanup ---------------------------------------------------------------
WORK=$(mktemp -d /tmp/airdress-e2e.XXXXXX)
declare -a PIDS=()
tree_pids() {  # pid and its descendants, deepest first
  local p=$1 c
  for c in $(pgrep -P "$p" 2>/dev/null); do tree_pids "$c"; done
  echo "$p"
}
stop_pid() {
  local p=$1 all q i
  kill -0 "$p" 2>/dev/null || return 0
  all=$(tree_pids "$p")
  for q in $all; do kill -TERM "$q" 2>/dev/null || true; done
  for i in $(seq 50); do
    local alive=0
    for q in $all; do kill -0 "$q" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for q in $all; do kill -KILL "$q" 2>/dev/null || true; done
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  PIDS=()
  if [[ ${E2E_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

start_bg() {  # name cmd... ; sets LAST_PID
  local name=$1; shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
forget_pid() {
  local p=$1 q keep=()
  for q in "${PIDS[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}

USED_PORTS=" "
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 12000 ))
    [[ $USED_PORTS == *" $p "* ]] && continue
    ss -Htanl "sport = :$p" | grep -q . && continue
    USED_PORTS+="$p "
    echo "$p"; return
  done
}
await_listen() {  # port pid what
  local i
  for i in $(seq 300); do
    ss -Htnl "sport = :$1" | grep -q . && return 0
    kill -0 "$2" 2>/dev/null || { log "$3 exited:"; cat "$WORK"/*.err >&2 || true; return 1; }
    sleep 0.1
  done
  log "$3 did not listen on $1"; return 1
}

# /proc figures of a process tree: CPU seconds (utime+stime), RSS kB, open fds.
tree_cpu() {
  local p t=0 tck
  tck=$(getconf CLK_TCK)
  for p in $(tree_pids "$1"); do
    t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
  done
  awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.3f", t / k }'
}
tree_rss_kb() {
  local p t=0
  for p in $(tree_pids "$1"); do
    t=$(( t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0) ))
  done
  echo "$t"
}
tree_fds() {
  local p t=0
  for p in $(tree_pids "$1"); do t=$(( t + $(ls "/proc/$p/fd" 2>/dev/null | wc -l) )); done
  echo "$t"
}
machine_idle() {  # "idle_ticks total_ticks" over all CPUs (idle + iowait count as idle)
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t; exit }' /proc/stat
}
kv() { local v; v=$(sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1); echo "${v:-0}"; }

# --- the load generator, built fresh ---------------------------------------------------------------
LOADGEN="$WORK/loadgen"
gcc -O2 -Wall -o "$LOADGEN" "$HERE/loadgen.c"

# --- the ClientHello -------------------------------------------------------------------------------
FIXTURES="$ROOT/sni-parser/src/test/resources/fixtures/clienthello"
HELLO="" SNI="" HELLO_SOURCE=""
if [[ -f "$FIXTURES/MANIFEST.tsv" ]]; then
  # Prefer Chromium's post-quantum hello: the biggest one browsers send today.
  read -r HELLO SNI < <(python3 "$HERE/pick_hello.py" "$FIXTURES") || true
  [[ -n "$HELLO" ]] && HELLO_SOURCE="fixture \`${HELLO#"$ROOT/"}\`"
fi
if [[ -z "$HELLO" ]]; then
  # No fixtures on this branch: capture OpenSSL's own hello for a benchmark name.
  SNI="bench.example.test"
  HELLO="$WORK/hello.bin"
  python3 "$HERE/capture_hello.py" "$HELLO" "$SNI"
  HELLO_SOURCE="captured here from \`openssl s_client -servername $SNI\` ($(openssl version | cut -d' ' -f1-2))"
fi
HELLO_BYTES=$(stat -c %s "$HELLO")
log "ClientHello: $HELLO_BYTES bytes, SNI $SNI ($HELLO_SOURCE)"

# --- the relay --------------------------------------------------------------------------------------
RELAY_STATE="n/a (not built)"
if has "$PROXIES" relay && [[ -x "$ROOT/bin/relay" ]]; then
  # bin/relay runs what `./mvnw -pl relay -am package -DskipTests` left in relay/target.
  if compgen -G "$ROOT/relay/target/relay-*.jar" >/dev/null && [[ -d "$ROOT/relay/target/lib" && ${E2E_BUILD:-0} == 0 ]]; then
    RELAY_STATE="ok"   # built before; E2E_BUILD=1 rebuilds
  else
    log "building the relay (./mvnw -pl relay -am package -DskipTests)"
    if (cd "$ROOT" && ./mvnw -B -q -pl relay -am package -DskipTests >"$WORK/relay-build.log" 2>&1); then
      RELAY_STATE="ok"
    else
      RELAY_STATE="n/a (build failed)"; tail -20 "$WORK/relay-build.log" >&2
    fi
  fi
fi

# --- upstreams ----------------------------------------------------------------------------------------
NGINX_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
UP_OK=$(free_port); UP_SOURCE=$(free_port); UP_HOLD=$(free_port)
mkdir -p "$WORK/upstream-nginx"
cat >"$WORK/upstream-nginx/nginx.conf" <<EOF
load_module $NGINX_MODULE;
daemon off;
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $WORK/upstream-nginx/nginx.pid;
error_log $WORK/upstream-nginx/error.log warn;
events { worker_connections 4096; }
stream { server { listen 127.0.0.1:$UP_OK backlog=4096; return "ok\n"; } }
EOF
start_bg upstream-ok /usr/sbin/nginx -p "$WORK/upstream-nginx" -c "$WORK/upstream-nginx/nginx.conf"
await_listen "$UP_OK" "$LAST_PID" "upstream nginx"
start_bg upstream-source "$LOADGEN" serve --listen "127.0.0.1:$UP_SOURCE" --mode source
await_listen "$UP_SOURCE" "$LAST_PID" "upstream source"
start_bg upstream-hold "$LOADGEN" serve --listen "127.0.0.1:$UP_HOLD" --mode hold
await_listen "$UP_HOLD" "$LAST_PID" "upstream hold"

# --- proxies: config per (proxy, upstream port) -----------------------------------------------------
# Every proxy gets the same limits: peek timeout 30 s (nginx's preread default; long enough for
# the idle peek-phase measurement), connect 5 s, idle 5 min, no per-address limit.
# HAProxy refuses to start unless 2 x maxconn fds fit; nginx counts both sides as worker connections.
HAPROXY_MAXCONN=$(( (NOFILE - 200) / 2 ))
NGINX_CONNECTIONS=$(( NOFILE - 100 ))
declare -A PROXY_PID PROXY_PORT
start_proxy() {  # name upstream_port
  local name=$1 up=$2 port dir
  port=$(free_port); dir="$WORK/$name-$up"; mkdir -p "$dir"
  case "$name" in
    haproxy|haproxy2t)
      local threads=1; [[ $name == haproxy2t ]] && threads=2
      cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread $threads
  maxconn $HAPROXY_MAXCONN
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
frontend tls
  bind 127.0.0.1:$port
  tcp-request inspect-delay 30s
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend up if { req.ssl_sni -i $SNI }
backend up
  server up 127.0.0.1:$up
EOF
      start_bg "$name" /usr/sbin/haproxy -db -f "$dir/haproxy.cfg" ;;
    nginx)
      cat >"$dir/nginx.conf" <<EOF
load_module $NGINX_MODULE;
daemon off;
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $NGINX_CONNECTIONS; }
stream {
  map \$ssl_preread_server_name \$upstream { $SNI 127.0.0.1:$up; default 127.0.0.1:1; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    ssl_preread on;
    preread_timeout 30s;
    proxy_connect_timeout 5s;
    proxy_timeout 5m;
    proxy_pass \$upstream;
  }
}
EOF
      start_bg "$name" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" ;;
    sniproxy)
      local sni_re=${SNI//./\\.}
      cat >"$dir/sniproxy.conf" <<EOF
pidfile $dir/sniproxy.pid
error_log {
  filename $dir/error.log
  priority warning
}
listener 127.0.0.1:$port {
  protocol tls
  table bench
}
table bench {
  ^$sni_re\$ 127.0.0.1:$up
}
EOF
      start_bg "$name" /usr/sbin/sniproxy -f -n "$NOFILE" -c "$dir/sniproxy.conf" ;;
    relay|relay-epoll)
      local transport=""
      [[ $name == relay-epoll ]] && transport="-Dairdress.transport=epoll"
      write_relay_config "$dir" "$SNI" "$up" "$port" "$(free_port)"
      pushd "$dir" >/dev/null   # whatever the relay writes relative to its cwd stays in the temp dir
      # Its JSON access line per connection goes to a file, as in production (the peers log
      # nothing); E2E_RELAY_JAVA_OPTS adds JVM flags (e.g. -XX:StartFlightRecording=...).
      # Not in $dir: the relay watches the operators file's directory, and every access-log
      # write there would wake its watcher.
      mkdir -p "$dir-log"
      JAVA_OPTS="-Dairdress.access.file=$dir-log/access.log $transport ${E2E_RELAY_JAVA_OPTS:-}" \
        start_bg "$name" "$ROOT/bin/relay" run --config "$dir/relay.yaml"
      popd >/dev/null ;;
    *) echo "e2e.sh: unknown proxy: $name (expected: haproxy, haproxy2t, nginx, sniproxy, relay, relay-epoll)" >&2; exit 2 ;;
  esac
  PROXY_PID[$name]=$LAST_PID
  PROXY_PORT[$name]=$port
  await_listen "$port" "$LAST_PID" "$name"
}
stop_proxies() {
  local name
  for name in "${!PROXY_PID[@]}"; do stop_pid "${PROXY_PID[$name]}"; forget_pid "${PROXY_PID[$name]}"; done
  PROXY_PID=(); PROXY_PORT=()
}

# The paths measured: "direct" (client -> upstream) plus each proxy that can run.
declare -a PATHS=()
IFS=, read -r -a REQUESTED <<<"$PROXIES"
for p in "${REQUESTED[@]}"; do
  if [[ $p == relay* && $RELAY_STATE != ok ]]; then continue; fi
  PATHS+=("$p")
done
start_all() {  # upstream_port
  local p
  for p in "${PATHS[@]}"; do start_proxy "$p" "$1"; done
}
target_of() {  # path upstream_port
  if [[ $1 == direct ]]; then echo "127.0.0.1:$2"; else echo "127.0.0.1:${PROXY_PORT[$1]}"; fi
}

# Results: R[metric|path] = space-separated values, one per round; X[...] = extra notes.
declare -A R X
add() { R["$1|$2"]="${R["$1|$2"]:-} $3"; }
addx() { X["$1|$2"]="${X["$1|$2"]:-} $3"; }

stats() {  # values... -> "median min max" (non-numeric values skipped)
  printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '
    { v[NR] = $1 }
    END { if (NR == 0) { print "- - -"; exit }
          m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          print m, v[1], v[NR] }'
}
median_of() { local s; s=$(stats ${R["$1|$2"]:-}); echo "${s%% *}"; }
run_loadgen() {  # seconds_budget args...
  local budget=$1; shift
  timeout --signal=TERM --kill-after=5 "$budget" "$LOADGEN" "$@" 2>>"$WORK/loadgen.err" || true
}

# Runs one client measurement against a path and records the proxy's CPU over it.
measure() {  # metric path upstream_port budget loadgen-args...
  local metric=$1 path=$2 up=$3 budget=$4; shift 4
  local target pid c0 c1 out
  target=$(target_of "$path" "$up")
  pid=${PROXY_PID[$path]:-}
  [[ -n $pid ]] && c0=$(tree_cpu "$pid")
  local idle0 idle1
  idle0=$(machine_idle)
  out=$(run_loadgen "$budget" "$@" --target "$target")
  idle1=$(machine_idle)
  LAST_PROXY_CPU=0
  [[ -n $pid ]] && { c1=$(tree_cpu "$pid"); LAST_PROXY_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.2f", b-a}'); addx "$metric" "$path" "proxycpu=$LAST_PROXY_CPU"; }
  addx "$metric" "$path" "idle=$(awk -v a="$idle0" -v b="$idle1" 'BEGIN { split(a, x); split(b, y); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')" 
  log "$metric $path: $out"
  LAST_OUT=$out
}

# --- 1. new TLS-peek connections per second, and 3. latency -----------------------------------------------------------
if has "$ONLY" connrate || has "$ONLY" latency; then
  start_all "$UP_OK"
  # Warm-up (the JVM's JIT above all, pools) so that round 1 is not a cold start for anyone:
  # WARM_COUNT connections per path, or T_WARM seconds if that comes first. 100,000: after
  # 30,000 the relay's C2 was still compiling (~200 compilations, ~100 of them replacing
  # deoptimized code, in the next 5 s; a handful per 5 s after that).
  for p in "${PATHS[@]}"; do
    out=$(run_loadgen $((T_WARM + 30)) connrate --hello "$HELLO" --conc "$RATE_CONC" --duration "$T_WARM" --count "$WARM_COUNT" --src "$SRC" --target "$(target_of "$p" "$UP_OK")")
    log "warm-up $p: $out"
  done
  for round in $(seq "$ROUNDS"); do
    for p in direct "${PATHS[@]}"; do
      if has "$ONLY" connrate; then
        measure connrate "$p" "$UP_OK" $((T_RATE + 30)) connrate --hello "$HELLO" --conc "$RATE_CONC" --duration "$T_RATE" --timeout 2000 --src "$SRC"
        add connrate "$p" "$(kv rate "$LAST_OUT")"
        if [[ $p != direct ]]; then  # the proxy's CPU cost of one connection, whatever the machine's load
          add cpu_per_conn "$p" "$(awk -v c="$LAST_PROXY_CPU" -v n="$(kv ok "$LAST_OUT")" 'BEGIN { if (n > 0) printf "%.0f", c * 1e6 / n }')"
        fi
        addx connrate "$p" "lgcpu=$(kv cpu_pct "$LAST_OUT") err=$(( $(kv errors "$LAST_OUT") + $(kv empty "$LAST_OUT") + $(kv timeouts "$LAST_OUT") ))"
      fi
    done
  done
  # Latency at a moderate rate: LAT_RATE, but at most a quarter of the slowest path's connection
  # rate just measured, so that no path is measured saturated (queueing is not added latency).
  if has "$ONLY" connrate; then
    slowest=$(for p in direct "${PATHS[@]}"; do median_of connrate "$p"; done | sort -g | head -1)
    LAT_RATE=$(awk -v r="$LAT_RATE" -v s="$slowest" 'BEGIN { q = int(s / 4 / 50) * 50; if (q < 50) q = 50; print (q < r ? q : r) }')
    log "latency rate: $LAT_RATE/s (slowest connection rate $slowest/s)"
  fi
  for round in $(seq "$ROUNDS"); do
    for p in direct "${PATHS[@]}"; do
      if has "$ONLY" latency; then
        measure latency "$p" "$UP_OK" $((T_LAT + 30)) latency --hello "$HELLO" --rate "$LAT_RATE" --duration "$T_LAT" --timeout 2000 --src "$SRC"
        add lat_p50 "$p" "$(kv p50_us "$LAST_OUT")"
        add lat_p99 "$p" "$(kv p99_us "$LAST_OUT")"
        addx latency "$p" "err=$(( $(kv errors "$LAST_OUT") + $(kv empty "$LAST_OUT") + $(kv timeouts "$LAST_OUT") + $(kv dropped "$LAST_OUT") ))"
      fi
    done
  done
  stop_proxies
fi

# --- 2. bulk throughput, upstream -> client, through 1 and 64 connections ------------------------------
if has "$ONLY" bulk; then
  start_all "$UP_SOURCE"
  for p in "${PATHS[@]}"; do
    run_loadgen $((T_BULK + 30)) bulk --hello "$HELLO" --conns "$CONC" --duration "$T_BULK" --src "$SRC" --target "$(target_of "$p" "$UP_SOURCE")" >/dev/null
  done
  for round in $(seq "$ROUNDS"); do
    for n in 1 64; do
      for p in direct "${PATHS[@]}"; do
        measure "bulk$n" "$p" "$UP_SOURCE" $((T_BULK + 30)) bulk --hello "$HELLO" --conns "$n" --duration "$T_BULK" --src "$SRC"
        add "bulk$n" "$p" "$(kv gbit_s "$LAST_OUT")"
        addx "bulk$n" "$p" "lgcpu=$(kv cpu_pct "$LAST_OUT")"
      done
    done
  done
  stop_proxies
fi

# --- 4. resident memory with idle connections -----------------------------------------------------------
# Each measurement gets a freshly started proxy, warmed up by 100 waves of 64 end-to-end connections
# (JIT, pools, allocator arenas), so that neither memory kept from an earlier measurement nor
# one-time growth is charged to the idle connections. Baseline: RSS right before they open.
idle_one() {  # metric path count with_hello(0/1); one retry on a fresh proxy if setup fails
  idle_attempt "$@" || { log "$1 $2: retrying once"; idle_attempt "$@" || add "$1" "$2" "fail"; }
}
idle_attempt() {
  local metric=$1 p=$2 n=$3 hello=$4 pid base fd0 rss out i lg ok=0
  start_proxy "$p" "$UP_HOLD"
  pid=${PROXY_PID[$p]}
  out=$(run_loadgen 120 idle --conns 64 --cycles 100 --hold 0 --hello "$HELLO" --src "$SRC" --target "$(target_of "$p" "$UP_HOLD")")
  [[ $out == *failed=* || -z $out ]] && log "$metric $p: warm-up failed: ${out:-no output} $(tail -1 "$WORK/loadgen.err" 2>/dev/null)"
  sleep 1
  base=$(tree_rss_kb "$pid"); fd0=$(tree_fds "$pid")
  local args=(idle --conns "$n" --hold 120 --src "$SRC" --target "$(target_of "$p" "$UP_HOLD")")
  ((hello)) && args+=(--hello "$HELLO")
  "$LOADGEN" "${args[@]}" >"$WORK/idle.out" 2>"$WORK/idle.err" &
  lg=$!; PIDS+=("$lg")
  for i in $(seq 600); do
    grep -q '^mode=idle ' "$WORK/idle.out" 2>/dev/null && break
    kill -0 "$lg" 2>/dev/null || break
    sleep 0.1
  done
  out=$(grep '^mode=idle ' "$WORK/idle.out" || echo "failed=1 (no answer: $(tail -1 "$WORK/idle.err"))")
  if [[ $out == *failed=* ]]; then
    log "$metric $p: $out $(tail -1 "$WORK/idle.err")"
  else
    ok=1
    # Peek phase: the client's connect() completes before the proxy accepts; wait for its fds.
    for i in $(seq 100); do (( $(tree_fds "$pid") - fd0 >= n * 99 / 100 )) && break; sleep 0.1; done
    sleep 1
    rss=$(tree_rss_kb "$pid")
    log "$metric $p: $out rss ${base} -> ${rss} kB, fds +$(( $(tree_fds "$pid") - fd0 ))"
    add "$metric" "$p" "$(awk -v a="$base" -v b="$rss" -v n="$n" 'BEGIN{printf "%.0f", (b-a)*1024/n}')"
    addx "$metric" "$p" "rss=$((rss / 1024))MiB"
  fi
  stop_pid "$lg"; forget_pid "$lg"
  stop_proxies
  ((ok))
}
if has "$ONLY" idle; then
  IDLE_MEASURED=()
  for want in $IDLE_COUNTS; do
    n=$(cap_established "$want")
    if ((n != want)); then FD_NOTE+="Idle $want established was capped to $n: RLIMIT_NOFILE is $NOFILE here (2 fds per proxied connection). "; fi
    [[ " ${IDLE_MEASURED[*]} " == *" $n "* ]] && continue
    IDLE_MEASURED+=("$n")
  done
  # HAProxy sizes itself for two fds per connection even in the peek phase: same cap for all.
  n=$(cap_established "$PEEK_COUNT")
  if ((n != PEEK_COUNT)); then FD_NOTE+="Peek phase $PEEK_COUNT capped to $n (HAProxy needs 2 x maxconn fds). "; PEEK_COUNT=$n; fi
  for round in $(seq "$ROUNDS"); do
    for p in "${PATHS[@]}"; do
      for n in "${IDLE_MEASURED[@]}"; do idle_one "idle$n" "$p" "$n" 1; done
      idle_one "peek$PEEK_COUNT" "$p" "$PEEK_COUNT" 0
    done
  done
fi

# --- report -----------------------------------------------------------------------------------------------
fmt() {  # value decimals
  [[ $1 == - ]] && { echo "–"; return; }
  awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'
}
cell() {  # metric path decimals -> "median (min–max)"
  local s m lo hi
  s=$(stats ${R["$1|$2"]:-}); read -r m lo hi <<<"$s"
  [[ $m == - ]] && { echo "n/a"; return; }
  if ((ROUNDS > 1)); then echo "$(fmt "$m" "$3") ($(fmt "$lo" "$3")–$(fmt "$hi" "$3"))"; else fmt "$m" "$3"; fi
}
extra() {  # metric path key [unit] -> median of that extra
  local vals
  vals=$(tr ' ' '\n' <<<"${X["$1|$2"]:-}" | sed -n "s/^$3=//p" | sed 's/MiB$//')
  # shellcheck disable=SC2086
  local s; s=$(stats $vals); s=${s%% *}
  if [[ $s == - ]]; then echo "–"; else echo "$s${4:-}"; fi
}
ratio() {  # metric peer -> relay/peer of the medians
  local a b
  a=$(median_of "$1" relay); b=$(median_of "$1" "$2")
  if [[ $a == - || $b == - || -z $a || -z $b ]]; then echo "–"; return; fi
  awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "–"; else printf "%.2f", a / b }'
}
label() {
  case "$1" in
    direct) echo "client → upstream directly" ;;
    haproxy) echo "HAProxy $HAPROXY_V, nbthread 1" ;;
    haproxy2t) echo "HAProxy $HAPROXY_V, nbthread 2" ;;
    nginx) echo "nginx $NGINX_V stream + ssl_preread, 1 worker" ;;
    sniproxy) echo "sniproxy $SNIPROXY_V" ;;
    relay) echo "relay ($RELAY_REV)" ;;
    relay-epoll) echo "relay ($RELAY_REV), epoll transport" ;;
  esac
}
# A peer left out with --proxies need not be installed: its version then reads "not installed".
HAPROXY_V=$([[ -x /usr/sbin/haproxy ]] && /usr/sbin/haproxy -v | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p' || echo "not installed")
NGINX_V=$([[ -x /usr/sbin/nginx ]] && /usr/sbin/nginx -v 2>&1 | sed 's|.*nginx/||' || echo "not installed")
SNIPROXY_V=$([[ -x /usr/sbin/sniproxy ]] && /usr/sbin/sniproxy -V 2>&1 | awk '{print $2; exit}' || echo "not installed")
RELAY_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
JDK_V=$({ "${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" -version 2>&1 || true; } | head -1)
ALL_ROWS=(direct "${PATHS[@]}")
if has "$PROXIES" relay && [[ $RELAY_STATE != ok ]]; then ALL_ROWS+=(relay); fi
row_label() { if [[ $1 == relay && $RELAY_STATE != ok ]]; then echo "relay — $RELAY_STATE"; else label "$1"; fi; }

report() {
  echo "# End-to-end benchmark: relay vs HAProxy, nginx stream, sniproxy"
  echo
  echo "Command: \`$COMMAND_LINE\` — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $RELAY_REV, $ROUNDS round(s), paths alternated within each round."
  echo
  echo "Machine: $(nproc) vCPU ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $JDK_V; HAProxy $HAPROXY_V, nginx $NGINX_V, sniproxy $SNIPROXY_V. Client, proxies and upstreams all on loopback on this machine; RLIMIT_NOFILE $NOFILE."
  echo
  echo "ClientHello: $HELLO_BYTES bytes, SNI \`$SNI\`, $HELLO_SOURCE. Upstreams: nginx stream \`return \"ok\\n\"\` (connection rate, latency); a C epoll source (bulk) and holder (idle), \`loadgen serve\`."
  if [[ $RELAY_STATE != ok ]] && has "$PROXIES" relay; then echo; echo "**Relay: $RELAY_STATE** — \`bin/relay\` is not available on this branch yet; only the peers ran."; fi
  if has "$ONLY" connrate; then
    echo
    echo "## New TLS-peek connections per second"
    echo
    echo "$RATE_CONC connections in flight; each connects, sends the ClientHello, reads the upstream's answer until it closes. ${T_RATE} s per run. Proxy CPU = CPU seconds the proxy used during the run; load generator CPU = % of one core; machine idle = share of both vCPUs left idle during the run (0 % = the machine, not one process, was the limit)."
    echo
    echo "| path | connections/s, median (min–max) | proxy CPU s | proxy CPU µs per connection | load generator CPU | machine idle | failed |"
    echo "|---|---|---|---|---|---|---|"
    for p in "${ALL_ROWS[@]}"; do
      echo "| $(row_label "$p") | $(cell connrate "$p" 0) | $(extra connrate "$p" proxycpu) | $([[ $p == direct ]] && echo "–" || cell cpu_per_conn "$p" 0) | $(extra connrate "$p" lgcpu %) | $(extra connrate "$p" idle %) | $(tr ' ' '\n' <<<"${X["connrate|$p"]:-}" | sed -n 's/^err=//p' | awk '{ s += $1 } END { print s + 0 }') |"
    done
  fi
  if has "$ONLY" bulk; then
    echo
    echo "## Bulk throughput, upstream → client"
    echo
    echo "The client sends the ClientHello, then the upstream streams without end; bytes counted at the client for ${T_BULK} s after every connection has its first bytes."
    echo
    echo "| path | 1 connection, Gbit/s | 64 connections, Gbit/s | proxy CPU s (64) | load generator CPU (64) | machine idle (64) |"
    echo "|---|---|---|---|---|---|"
    for p in "${ALL_ROWS[@]}"; do
      echo "| $(row_label "$p") | $(cell bulk1 "$p" 2) | $(cell bulk64 "$p" 2) | $(extra bulk64 "$p" proxycpu) | $(extra bulk64 "$p" lgcpu %) | $(extra bulk64 "$p" idle %) |"
    done
  fi
  if has "$ONLY" latency; then
    local d50 d99
    d50=$(median_of lat_p50 direct); d99=$(median_of lat_p99 direct)
    echo
    echo "## Latency of a small exchange at $LAT_RATE exchanges/s"
    echo
    echo "Open loop: a new connection every 1/$LAT_RATE s (1,000/s, or a quarter of the slowest path's connection rate in this run if lower), ClientHello out, \`ok\` back, closed by the upstream; latency from the scheduled start (so a stall is not hidden) to the close, in µs. Added = path − direct (medians)."
    echo
    echo "| path | p50 µs | p99 µs | added p50 µs | added p99 µs | failed or timed out (2 s) |"
    echo "|---|---|---|---|---|---|"
    for p in "${ALL_ROWS[@]}"; do
      local m50 m99 a50="–" a99="–"
      m50=$(median_of lat_p50 "$p"); m99=$(median_of lat_p99 "$p")
      if [[ $p != direct && $m50 != - && -n $m50 && $d50 != - ]]; then
        a50=$(awk -v a="$m50" -v b="$d50" 'BEGIN { printf "%.0f", a - b }')
        a99=$(awk -v a="$m99" -v b="$d99" 'BEGIN { printf "%.0f", a - b }')
      fi
      echo "| $(row_label "$p") | $(cell lat_p50 "$p" 0) | $(cell lat_p99 "$p" 0) | $a50 | $a99 | $(tr ' ' '\n' <<<"${X["latency|$p"]:-}" | sed -n 's/^err=//p' | awk '{ s += $1 } END { print s + 0 }') |"
    done
  fi
  if has "$ONLY" idle; then
    echo
    echo "## Resident memory per idle connection"
    echo
    echo "RSS of the proxy's processes (sum of VmRSS) while holding N connections, minus its RSS right before they opened, divided by N; each measurement on a freshly started proxy warmed up by 100 waves of 64 connections, in bytes. Established = ClientHello sent and the upstream's first byte received (two sockets in the proxy); peek phase = connected, nothing sent. ${FD_NOTE}"
    echo
    local head="| path |" sep="|---|" n
    for n in "${IDLE_MEASURED[@]}"; do head+=" $n established, B/conn |"; sep+="---|"; done
    head+=" $PEEK_COUNT in peek phase, B/conn | RSS with $((${IDLE_MEASURED[-1]})) |"; sep+="---|---|"
    echo "$head"; echo "$sep"
    for p in "${ALL_ROWS[@]}"; do
      [[ $p == direct ]] && continue
      local line="| $(row_label "$p") |"
      for n in "${IDLE_MEASURED[@]}"; do line+=" $(cell "idle$n" "$p" 0) |"; done
      line+=" $(cell "peek$PEEK_COUNT" "$p" 0) | $(extra "idle${IDLE_MEASURED[-1]}" "$p" rss " MiB") |"
      echo "$line"
    done
  fi
  echo
  echo "## Relay / peer (ratios of medians, same run)"
  echo
  if [[ $RELAY_STATE != ok ]]; then
    echo "n/a: the relay did not run ($RELAY_STATE)."
  else
    local peers=() q
    for q in "${PATHS[@]}"; do [[ $q != relay ]] && peers+=("$q"); done
    local head="| metric | goal |" sep="|---|---|"
    for q in "${peers[@]}"; do head+=" vs $(label "$q") |"; sep+="---|"; done
    echo "$head"; echo "$sep"
    ratio_row() {  # metric title goal
      local line="| $2 | $3 |" q
      for q in "${peers[@]}"; do line+=" $(ratio "$1" "$q") |"; done
      echo "$line"
    }
    has "$ONLY" connrate && ratio_row connrate "new connections/s (higher is better)" "≥ 1.00 vs HAProxy"
    has "$ONLY" connrate && ratio_row cpu_per_conn "proxy CPU per new connection (lower is better)" "–"
    has "$ONLY" bulk && ratio_row bulk1 "bulk, 1 connection (higher is better)" "≥ 0.95 vs HAProxy"
    has "$ONLY" bulk && ratio_row bulk64 "bulk, 64 connections (higher is better)" "≥ 0.95 vs HAProxy"
    has "$ONLY" latency && ratio_row lat_p50 "p50 latency (lower is better)" "–"
    has "$ONLY" latency && ratio_row lat_p99 "p99 latency (lower is better)" "≤ 1.00 vs HAProxy"
    if has "$ONLY" idle; then
      for n in "${IDLE_MEASURED[@]}"; do ratio_row "idle$n" "memory per established idle connection, $n (lower is better)" "≤ 1.00 vs HAProxy"; done
      ratio_row "peek$PEEK_COUNT" "memory per peeking connection, $PEEK_COUNT (lower is better)" "–"
    fi
  fi
  echo
  echo "Not measured here: iperf3 through the Java WireGuard tunnel vs wireguard-go ↔ wireguard-go (the tunnel is not part of this harness yet; see performance-anchors for the peer figure)."
}

report | tee "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "written to ${OUT#"$ROOT/"}"
