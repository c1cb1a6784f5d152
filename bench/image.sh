#!/usr/bin/env bash
# The relay image's budget (bench/README.md, "Image"): size, start to /readyz UP, RSS at idle.
#
#   flock /tmp/airdress-netns.lock bench/image.sh [IMAGE [CDS_IMAGE]] [RUNS]
#
# IMAGE (default localhost/airdress-relay:dev, built with its AOT cache) runs with the cache and with
# -XX:AOTMode=off; CDS_IMAGE (optional: docker/build.sh --class-cache cds --tag bench-cds) with
# jlink's default CDS archive. Each run: `podman run -d` of the relay in a network namespace of its
# own (read-only, non-root, NET_BIND_SERVICE, 80/443, as in a PoP), t0 just before it, then /readyz
# polled every 10 ms from inside the namespace; "ready" is the first 200, timed from t0 and from the
# container's start (podman's State.StartedAt: without podman's own set-up). After 10 s idle, the
# java process's VmRSS. Runs alternate between the variants. Needs root, podman, curl.
set -euo pipefail
IMAGE=${1:-localhost/airdress-relay:dev}
CDS_IMAGE=${2:-}
RUNS=${3:-5}
NS=bench-img-$$
NAME=bench-img-$$
DIR=$(mktemp -d)
chmod 0755 "$DIR"   # the relay in the container (uid 10001) reads its config here
trap 'podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true; ip netns del "$NS" 2>/dev/null || true; rm -rf "$DIR"' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
cat >"$DIR/relay.yaml" <<'EOF'
pop: bench
listen: { http: "0.0.0.0:80", tls: "0.0.0.0:443" }
management: { listen: "127.0.0.1:9090" }
drain: { delay: 100ms, timeout: 1s }
EOF
cat >"$DIR/operators.yaml" <<'EOF'
operators:
  - name: bench
    hosts: ["bench.example.test"]
    upstream: { http: "127.0.0.1:8080" }
EOF

now() { echo "$EPOCHREALTIME"; }
one_run() {  # one_run IMAGE JAVA_OPTS: prints "seconds-to-ready rss-kib"
    local image=$1 opts=$2 t0 t1 pid
    podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
    t0=$(now)
    podman run -d --name "$NAME" --no-healthcheck --network "ns:/run/netns/$NS" --read-only --read-only-tmpfs=false \
        --cap-drop all --cap-add NET_BIND_SERVICE -v "$DIR:/etc/relay:ro" -e "JAVA_OPTS=$opts" \
        "$image" run --config /etc/relay/relay.yaml >/dev/null
    for ((i = 0; i < 6000; i++)); do
        [[ "$(ip netns exec "$NS" curl -s -m 1 -o /dev/null -w '%{http_code}' http://127.0.0.1:9090/readyz 2>/dev/null)" == 200 ]] && break
        sleep 0.01
    done
    t1=$(now)
    local started
    started=$(date -d "$(podman inspect --format '{{.State.StartedAt}}' "$NAME" | sed 's/ +0000 UTC$/Z/; s/ UTC$//')" +%s.%N)
    sleep 10
    pid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
    printf '%s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
        "$(awk -v a="$started" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
        "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")"
    podman rm -f -t 0 "$NAME" >/dev/null
}

size_of() { podman image inspect --format '{{.Size}}' "$1"; }
compressed_of() { podman save --format docker-archive "$1" 2>/dev/null | gzip -6 | wc -c; }
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); podman $(podman version --format '{{.Client.Version}}')"
for image in "$IMAGE" ${CDS_IMAGE:+"$CDS_IMAGE"}; do
    echo "size $image: $(size_of "$image") bytes uncompressed; $(compressed_of "$image") bytes as a gzip-6 docker-archive (≈ what a registry transfers)"
done
variants=("aot|$IMAGE|" "none|$IMAGE|-XX:AOTMode=off")
[[ -z "$CDS_IMAGE" ]] || variants+=("cds|$CDS_IMAGE|")
for ((r = 1; r <= RUNS; r++)); do
    for v in "${variants[@]}"; do
        IFS='|' read -r label image opts <<<"$v"
        echo "run $r $label: $(one_run "$image" "$opts")   # s from podman run to /readyz 200, s from the container's start, VmRSS KiB after 10 s idle"
    done
done
