#!/usr/bin/env bash
# The training run of the JVM's AOT cache, at image build time (docker/Containerfile).
#
#   train.sh RELAY_HOME CACHE CLIENT_HELLO SNI
#
# Starts the installed relay (RELAY_HOME/bin/relay run) on loopback with -XX:AOTCacheOutput=CACHE,
# relays HTTP and TLS connections through it (CLIENT_HELLO is a captured ClientHello naming SNI; the
# upstream is the runtime's own simple web server, `java -m jdk.httpserver` on loopback, which
# answers both with an error, the PROXY header being no HTTP: what is trained is the relay's path,
# not the answer; an upstream may not be the relay's own listener, and loopback is allowed for this
# run only), reads /readyz, /livez, /metrics and /v1/operators, then drains it with SIGTERM. The JVM
# writes the cache as it exits. Bash built-ins and coreutils besides the relay's runtime.
set -euo pipefail
home=$1 cache=$2 hello=$3 sni=$4
dir=$(mktemp -d)
upstream=""
trap '[[ -z $upstream ]] || kill "$upstream" 2>/dev/null; rm -rf "$dir"' EXIT
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

mkdir "$dir/www"
echo training >"$dir/www/index.html"
"$home/runtime/bin/java" -m jdk.httpserver -b 127.0.0.1 -p 19091 -d "$dir/www" -o none >"$dir/upstream.log" 2>&1 &
upstream=$!

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
await_200() {  # await_200 PORT PATH WHAT PID LOG: until GET PATH answers 200, bounded; else WHAT's log
    local i
    for ((i = 0; ; i++)); do
        [[ "$(status_of "$1" "$2" localhost 2>/dev/null)" == *" 200"* ]] && return 0
        if ((i > 1200)) || ! kill -0 "$4" 2>/dev/null; then
            echo "train: $3 did not answer; its log:" >&2
            cat "$5" >&2
            exit 1
        fi
        sleep 0.05
    done
}
await_200 19090 /readyz "the relay" "$pid" "$dir/relay.log"
await_200 19091 / "the upstream web server" "$upstream" "$dir/upstream.log"
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
