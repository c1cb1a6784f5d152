# Sourced by e2e.sh and ab-relay.sh: the relay's configuration for the benchmarks, written once.
#
#   write_relay_config DIR SNI UPSTREAM_PORT LISTEN_PORT MANAGEMENT_PORT [DEFER_ACCEPT]
#
# DEFER_ACCEPT, when given, is written as listen.defer_accept (e.g. 0s for off); otherwise the
# relay's default applies.
# One operator for SNI on 127.0.0.1:UPSTREAM_PORT (so loopback upstreams allowed), a TLS listener
# only, limits out of the way (the load generator's connections all come from 127.0.0.1), a short
# drain so that runs end quickly.
write_relay_config() {
  local dir=$1 sni=$2 up=$3 port=$4 mgmt=$5 defer=${6:-}
  cat >"$dir/operators.yaml" <<EOC
operators:
  - name: bench
    hosts: ["$sni"]
    upstream: { tls: "127.0.0.1:$up" }
EOC
  cat >"$dir/relay.yaml" <<EOC
pop: bench
listen:
  tls: "127.0.0.1:$port"
${defer:+  defer_accept: $defer
}management:
  listen: "127.0.0.1:$mgmt"
operators_file: $dir/operators.yaml
limits: { max_connections: 1000000, max_connections_per_ip: 1000000, max_peeking_per_ip: 1000000, max_client_hello: 16KiB, max_http_head: 16KiB }
timeouts: { peek: 30s, connect: 5s, idle: 5m }
drain: { delay: 100ms, timeout: 1s }
upstreams: { allow_loopback: true }
EOC
}
