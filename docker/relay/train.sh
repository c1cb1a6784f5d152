#!/usr/bin/env bash
# The training run of the JVM's AOT cache, at image build time (docker/Containerfile).
#
#   train.sh RELAY_HOME CACHE CLIENT_HELLO SNI
#
# Starts the installed relay (RELAY_HOME/bin/relay run) on loopback with -XX:AOTCacheOutput=CACHE,
# relays HTTP and TLS connections through it (CLIENT_HELLO is a captured ClientHello naming SNI; the
# upstream is the relay's own management listener, which answers both with an error: what is trained
# is the relay's path, not the answer), reads /readyz, /livez, /metrics and /v1/operators, then
# drains it with SIGTERM. The JVM writes the cache as it exits. Bash built-ins and coreutils only.
set -euo pipefail
home=$1 cache=$2 hello=$3 sni=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/upstream"
cat >"$dir/upstream/relay.yaml" <<'YAML'
pop: training-upstream
listen: { http: "127.0.0.1:18081" }
management: { listen: "127.0.0.1:19091" }
drain: { delay: 100ms, timeout: 1s }
YAML
echo "operators: []" >"$dir/upstream/operators.yaml"
cat >"$dir/relay.yaml" <<'YAML'
pop: training
listen: { http: "127.0.0.1:18080", tls: "127.0.0.1:18443" }
management: { listen: "127.0.0.1:19090" }
drain: { delay: 100ms, timeout: 5s }
upstreams: { allow_loopback: true }
YAML
cat >"$dir/operators.yaml" <<YAML
operators:
  - name: training
    hosts: ["training.example.test", "$sni"]
    upstream: { http: "127.0.0.1:19091", tls: "127.0.0.1:19091" }
    proxy_protocol: v2
YAML

"$home/bin/relay" run --config "$dir/upstream/relay.yaml" >"$dir/upstream.log" 2>&1 &
upstream=$!
trap 'kill "$upstream" 2>/dev/null; rm -rf "$dir"' EXIT
JAVA_OPTS="-XX:AOTCacheOutput=$cache" "$home/bin/relay" run --config "$dir/relay.yaml" >"$dir/relay.log" 2>&1 &
pid=$!

status_of() {  # status_of PORT PATH HOST: the status line of one HTTP/1.1 exchange, "" on failure
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 0
    printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$3" >&3
    local line=""
    IFS= read -r -t 5 line <&3 || true
    exec 3<&-
    printf '%s' "$line"
}
await_ready() {  # await_ready PORT PID LOG
    for ((i = 0; ; i++)); do
        [[ "$(status_of "$1" /readyz localhost 2>/dev/null)" == *" 200"* ]] && return 0
        if ((i > 1200)) || ! kill -0 "$2" 2>/dev/null; then
            echo "train: the relay of $3 did not become ready; its log:" >&2
            cat "$3" >&2
            exit 1
        fi
        sleep 0.05
    done
}
await_ready 19091 "$upstream" "$dir/upstream.log"
await_ready 19090 "$pid" "$dir/relay.log"
for ((i = 0; i < 50; i++)); do
    status_of 18080 / training.example.test >/dev/null
    exec 3<>/dev/tcp/127.0.0.1/18443
    cat "$hello" >&3
    timeout 5 cat <&3 >/dev/null || true
    exec 3<&-
done
for path in /livez /metrics /v1/operators /v1/peers /readyz; do status_of 19090 "$path" localhost >/dev/null; done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
if ((rc != 0)) || [[ ! -s "$cache" ]]; then
    echo "train: the relay exited with $rc, cache ${cache} $([[ -s $cache ]] && echo written || echo missing); its log:" >&2
    cat "$dir/relay.log" >&2
    exit 1
fi
grep -E '^AOTCache creation is complete' "$dir/relay.log" || true
