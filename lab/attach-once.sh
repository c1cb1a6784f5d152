# The attach-once topology of lab/run.sh (--attach-once): sourced by run.sh, which calls these
# functions only in that mode. See lab/README.md, "Attach once".
#
#   lab-client ── lab-router ── pop1 (preferred: pop2 prepends once)        the clients' nearest PoP: pop1
#                          └── pop2
#   lab-op 10.0.40.2 ── 10.0.40.1 lab-oprouter (BIRD AS65001, BFD, local_pref 200 for pop2, 100 for pop1)
#                                   10.0.31.1 ── 10.0.31.2 lab-pop1        the operator's nearest PoP: pop2
#                                   10.0.32.1 ── 10.0.32.2 lab-pop2
#   lab-pop1 10.0.99.1 ── 10.0.99.2 lab-pop2: the mesh's underlay (backhaul endpoints 10.0.99.N:51821)
#
# Both relays: the same network key, the same tunnel addresses (2001:db8:96::1/64, 100.96.0.1/16) on
# lab-relay-pN, UDP 51820 bound on the VIPs (wireguard.listen_addresses), a backhaul mesh lab-mesh-pN
# (10.200.0.N/24, fd00:200::N/64, its own key). The operator has one wireguard-go interface,
# lab-op-wg, with one peer: the network's public key at 192.0.2.1:51820 (from
# `relay operator-config demo`).

ATTACH_OP_IF=lab-op-wg
ATTACH_MESH_PORT=51821
ATTACH_POPS_TOPIC=airdress.pops
LIMIT_REATTACH=2.0      # seconds: kill -9 of the attached PoP's relay -> attached elsewhere, client served
# The same with wireguard.reattach: false: the operator's own timers. Its keepalives do not start a
# handshake; the TCP data it resends for the connections the dead PoP held, unanswered, does after
# KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s).
LIMIT_NO_REATTACH=40.0
REATTACH=true

attach_namespaces() {  # the extra namespace, the interfaces with UAPI sockets and the loops of this mode
    # lab-pop3 stays empty until the check's last step: the PoP that joins the running network.
    NAMESPACES+=(lab-oprouter lab-pop3)
    WG_IFS=(lab-relay-p1 lab-relay-p2 lab-relay-p3 "$ATTACH_OP_IF")
    # The client loops start a request every 20 ms whatever the earlier ones do (labtool.py loop
    # --in-flight): a request that reached pop1 while the attachment still named the dead PoP waits
    # out its timeout, and one after another the loop would not send the next request until then.
    LOOP_IN_FLIGHT=64
}

attach_path_name() {
    echo "attach once (lab-op's one WireGuard peer: the network key at $VIP:$WG_RELAY_PORT, reached through lab-oprouter, which prefers pop2; pop1 hands its clients to pop2 over the backhaul; reattach $REATTACH)"
}

# The operator's underlay (through lab-oprouter), the network key shared by both PoPs, each PoP's
# mesh key, and the relays' wireguard: and backhaul: sections. The operator's interface is
# configured later (attach_operator_up), from `relay operator-config`, once the directory holds demo.
setup_operator_attach() {
    veth lab-op op-or 10.0.40.2/24 lab-oprouter or-op 10.0.40.1/24
    veth lab-oprouter or-p1 10.0.31.1/24 lab-pop1 p1-or 10.0.31.2/24
    veth lab-oprouter or-p2 10.0.32.1/24 lab-pop2 p2-or 10.0.32.2/24
    ip netns exec lab-oprouter sysctl -qw net.ipv4.ip_forward=1
    ip -n lab-op route add default via 10.0.40.1
    local n relay_cmdline
    for n in 1 2; do ip -n "lab-pop$n" route add 10.0.40.0/24 via "10.0.3$n.1"; done
    mkdir -p "$D/pop1" "$D/pop2"
    relay_cmdline=$(relay_cmd)
    (umask 077; wg genkey >"$D/op/wg.key")
    OP_PUB=$(wg pubkey <"$D/op/wg.key")
    # shellcheck disable=SC2086 # a command line
    (umask 077; $relay_cmdline genkey >"$D/pop1/wg.key") || die "relay genkey failed"
    (umask 077; cp "$D/pop1/wg.key" "$D/pop2/wg.key")   # one network key, the same file on every PoP
    # shellcheck disable=SC2086
    NETWORK_PUB=$($relay_cmdline pubkey <"$D/pop1/wg.key") || die "relay pubkey failed"
    for n in 1 2; do
        # shellcheck disable=SC2086
        (umask 077; $relay_cmdline genkey >"$D/pop$n/mesh.key") || die "relay genkey failed"
    done
    mkdir -p /var/run/wireguard
    v6addr lab-op lo "$WG_OP_ADDR/128"
    start wireguard-go-op lab-op wireguard-go -f "$ATTACH_OP_IF"
    await 10 "wireguard-go's UAPI socket" eval "alive wireguard-go-op && [[ -S /var/run/wireguard/$ATTACH_OP_IF.sock ]]"
    ip -n lab-op link set "$ATTACH_OP_IF" mtu 1420 up
    DEMO_ADDR=::
    DEMO_TARGET="\"wireguard\":{\"public_key\":\"$OP_PUB\",\"address\":\"$WG_OP_ADDR\"}"
    for n in 1 2; do
        RELAY_WIREGUARD[n - 1]="wireguard: { interface: lab-relay-p$n, private_key_file: wg.key, listen_port: $WG_RELAY_PORT, addresses: [\"2001:db8:96::1/64\", \"100.96.0.1/16\"], listen_addresses: [\"$VIP\", \"$VIP6\"], reattach: $REATTACH, public_endpoint: \"$VIP:$WG_RELAY_PORT\" }
backhaul: { interface: lab-mesh-p$n, private_key_file: mesh.key, addresses: [\"10.200.0.$n/24\", \"fd00:200::$n/64\"], listen_port: $ATTACH_MESH_PORT, endpoint: \"10.0.99.$n:$ATTACH_MESH_PORT\", topic: $ATTACH_POPS_TOPIC }"
    done
}

# BIRD: each PoP gets a second uplink session, to lab-oprouter (IPv4: the operator dials the IPv4
# VIP), exporting the VIP as to lab-router (the controller's switch covers both sessions); lab-oprouter
# imports it from both with local_pref 200 for pop2 and 100 for pop1 (GRACEFUL_SHUTDOWN: 0).
attach_bird_configs() {
    local n
    for n in 1 2; do
        printf '%s\n' "protocol bgp opuplink from uplink_session {" \
            "  local 10.0.3$n.2 as POP_AS;" "  neighbor 10.0.3$n.1 as 65001;" \
            "  ipv4 { import none; export filter export_vip; };" "}" >>"$D/pop$n/pop-dual-stack.conf"
    done
    mkdir -p "$D/oprouter"
    cat >"$D/oprouter/bird.conf" <<EOF
router id 10.255.0.2;
protocol device { scan time 10; }
protocol kernel { ipv4 { import none; export all; }; }
protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }
function honour_graceful_shutdown() { if (65535, 0) ~ bgp_community then bgp_local_pref = 0; }
filter from_pop1 { if net != $VIP/32 then reject; bgp_local_pref = 100; honour_graceful_shutdown(); accept; }
filter from_pop2 { if net != $VIP/32 then reject; bgp_local_pref = 200; honour_graceful_shutdown(); accept; }
template bgp pop_session {
  local as 65001; hold time 9; keepalive time 3; connect delay time 1; connect retry time 2;
  error wait time 1, 10; bfd on;
}
protocol bgp pop1 from pop_session { local 10.0.31.1; neighbor 10.0.31.2 as 65010; ipv4 { import filter from_pop1; export none; }; }
protocol bgp pop2 from pop_session { local 10.0.32.1; neighbor 10.0.32.2 as 65010; ipv4 { import filter from_pop2; export none; }; }
EOF
    start bird-oprouter lab-oprouter bird -f -c "$D/oprouter/bird.conf" -s "$D/oprouter/bird.ctl" -P "$D/oprouter/bird.pid"
    start route-monitor-op lab-oprouter ip -ts monitor route
}

# The operator's WireGuard config: `relay operator-config demo` (its one peer: the network key at
# the VIP), with lab-op's private key put in and the keepalive shortened to the lab's 1 s (the
# operator's next packet is what re-attaches it), loaded with `wg setconf` (wg-quick's Address
# line is done by hand: the tunnel address sits on lab-op's lo).
attach_operator_up() {
    local conf="$D/op/demo-wg-quick.conf"
    # shellcheck disable=SC2046 # relay_cmd is a command line
    ip netns exec lab-pop1 $(relay_cmd) operator-config demo --config "$D/pop1/relay.yaml" >"$conf" 2>"$D/op/operator-config.err" \
        || die "relay operator-config demo failed: $(cat "$D/op/operator-config.err")"
    log "bin/relay operator-config demo --config pop1/relay.yaml:"
    sed 's/^/    /' "$conf"
    grep -v -e '^#' -e '^Address' "$conf" \
        | sed -e "s#^PrivateKey = .*#PrivateKey = $(cat "$D/op/wg.key")#" \
              -e "s/^PersistentKeepalive = .*/PersistentKeepalive = $WG_KEEPALIVE/" >"$D/op/wg.conf"
    chmod 600 "$D/op/wg.conf"
    ip netns exec lab-op wg setconf "$ATTACH_OP_IF" "$D/op/wg.conf" || die "wg setconf $ATTACH_OP_IF failed"
    ip -n lab-op -6 route add 2001:db8:96::1/128 dev "$ATTACH_OP_IF" src "$WG_OP_ADDR"
    ip -n lab-op route add 100.96.0.1/32 dev "$ATTACH_OP_IF"
    local peers
    peers=$(ip netns exec lab-op wg show "$ATTACH_OP_IF" peers | wc -l)
    [[ $peers == 1 ]] || die "lab-op's interface has $peers peers (expected: 1)"
}

attach_handshake_age() {  # seconds since lab-op's last handshake with the network (-1: none)
    local t
    t=$(ip netns exec lab-op wg show "$ATTACH_OP_IF" latest-handshakes 2>/dev/null | awk '{ print $2 }' || true)
    if [[ -z "$t" || "$t" == 0 ]]; then echo -1; else echo $(($(date +%s) - t)); fi
}
attach_endpoint() { ip netns exec lab-op wg show "$ATTACH_OP_IF" endpoints 2>/dev/null | awk '{ print $2 }'; }
attached_at() {  # attached_at N: the PoP pop N's management says demo is attached to ("none": none)
    local body
    body=$(ip netns exec "lab-pop$1" curl -s -m 1 -H "Authorization: Bearer $LAB_TOKEN" \
        http://127.0.0.1:9090/v1/operators/demo 2>/dev/null || true)
    if [[ $body =~ \"attachment\":\{[^}]*\"pop\":\"([a-z0-9-]+)\" ]]; then echo "${BASH_REMATCH[1]}"; else echo none; fi
}
attached_is() { [[ "$(attached_at "$1")" == "$2" ]]; }   # attached_is N POP
oproute_via() {
    ip -n lab-oprouter route show "$VIP" | awk '/via/ { for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }'
}
oproutes_via() { [[ "$(oproute_via)" == "10.0.3$1.2" ]]; }

# The operator's tunnel comes up once its route leads to pop2, so that it attaches there first.
attach_await_sessions() {
    await 30 "lab-oprouter's route to $VIP via pop2" oproutes_via 2
    attach_operator_up
    await 30 "lab-op's WireGuard handshake with the network" eval '[[ $(attach_handshake_age) -ge 0 ]]'
    await 10 "demo attached at pop2, as pop1 sees it" attached_is 1 pop2
}

attach_show_tunnels() {
    log "wg show $ATTACH_OP_IF (in lab-op; one peer; handshake $(attach_handshake_age) s ago):"
    { ip netns exec lab-op wg show "$ATTACH_OP_IF" || true; } | sed 's/^/    /'
    local n
    for n in 1 2; do
        [[ -n "${PIDS[relay-pop$n]:-}" ]] && kill -0 "${PIDS[relay-pop$n]}" 2>/dev/null || continue
        log "wg show lab-relay-p$n (the relay's read-only UAPI socket, in lab-pop$n):"
        { ip netns exec "lab-pop$n" wg show "lab-relay-p$n" || true; } | sed 's/^/    /'
    done
    log "lab-oprouter's route to $VIP: $(ip -n lab-oprouter route show "$VIP") -> $(pop_of_op_hop "$(oproute_via)"); demo attached at: $(attached_at 1) (as pop1 sees it)"
}
pop_of_op_hop() { case "$1" in 10.0.31.2) echo pop1 ;; 10.0.32.2) echo pop2 ;; *) echo none ;; esac; }

# The client by Host and by SNI on both families, through pop1 and the backhaul to pop2.
attach_demo_requests() {
    log "operator path: $(path_name)"
    local f
    for f in "${FAMILIES[@]}"; do demo_requests_to "$f"; done
}

attach_time_until() {  # attach_time_until SINCE TIMEOUT CMD...: seconds from SINCE until CMD holds, or "timeout"
    local since="$1" limit="$2"
    shift 2
    local deadline=$((SECONDS + ${limit%.*} + 1))
    until "$@"; do
        ((SECONDS < deadline)) || { echo timeout; return 0; }
        sleep 0.05
    done
    elapsed "$since" "$(now)"
}

first_served() {  # first_served FAMILY POP SINCE LIMIT: seconds from SINCE to the loop's first answer by POP
    local t
    t=$(tool first --log "${LOOP_LOG[$1]}" --pop "$2" --since "$3" --timeout "$4") || t=timeout
    echo "$t"
}

# kill -9 the relay of the PoP the operator is attached to; the operator's route moves to the
# other PoP, which re-attaches it; the clients (at pop1) are served again.
attach_kill() {  # attach_kill N OTHER: kill pop N's relay, expect re-attachment at pop OTHER; sets ok=0 on failure
    local n="$1" o="$2" limit="$LIMIT_REATTACH" t0 t_dead f
    [[ $REATTACH == true ]] || limit=$LIMIT_NO_REATTACH
    local -A t_client=() counts=()
    log "kill -9 the relay in pop$n (the operator's PoP); the operator must be re-attached at pop$o (reattach $REATTACH, limit $limit s); clients on IPv4 and IPv6"
    start_loops
    t0=$(now)
    relay_signal "$n" KILL
    relay_reap "$n"
    t_dead=$(now)
    local t_route t_attach
    t_route=$(tool route --log "$D/route-monitor-op.log" --prefix "$VIP" --via "10.0.3$o.2" --since "$t0" --timeout 10) || t_route=timeout
    t_attach=$(attach_time_until "$t0" "$limit" attached_is "$o" "pop$o")
    for f in "${FAMILIES[@]}"; do
        t_client[$f]=$(first_served "$f" "pop$o" "$t0" "$limit")
    done
    sleep 0.3
    stop_loops
    for f in "${FAMILIES[@]}"; do
        counts[$f]=$(tool count --log "${LOOP_LOG[$f]}" --since "$t0" --until "$(now)" --lost "$t_dead")
    done
    local endpoint
    endpoint=$(attach_endpoint)
    result "kill -9 relay pop$n (reattach $REATTACH): operator route -> pop$o after $t_route s; operator attached at pop$o after $t_attach s; first client answer delivered by pop$o after $(both t_client) (goal 1 s, limit $limit s); operator endpoint $endpoint; loop IPv4: $(head -1 <<<"${counts[4]}"); loop IPv6: $(head -1 <<<"${counts[6]}")"
    [[ $t_attach != timeout ]] && le "$t_attach" "$limit" || { ok=0; log "FAIL: operator not re-attached at pop$o within $limit s"; }
    for f in "${FAMILIES[@]}"; do
        [[ ${t_client[$f]} != timeout ]] && le "${t_client[$f]}" "$limit" || { ok=0; log "FAIL: IPv$f client not served by pop$o within $limit s"; }
    done
    [[ $endpoint == "$VIP:$WG_RELAY_PORT" ]] || { ok=0; log "FAIL: lab-op's endpoint is $endpoint (expected: the VIP $VIP:$WG_RELAY_PORT)"; }
}

attach_restart() {  # attach_restart N: restart pop N's relay; the operator's route comes back: served via pop N again
    local n="$1" t0 t_ready limit=30 f
    local -A t_client=()
    [[ $REATTACH == true ]] || limit=$LIMIT_NO_REATTACH
    log "restart the relay in pop$n; the operator's route comes back to pop$n, the clients' answers must again be delivered by it"
    start_loops
    t0=$(now)
    start_relay "$n"
    await "$WAIT_START" "pop$n's relay ready again" relay_ready "$n"
    t_ready=$(elapsed "$t0" "$(now)")
    local want="pop$n"
    [[ $n == 2 ]] && want="pop1>pop2"
    local t_attach
    t_attach=$(attach_time_until "$t0" "$((WAIT_START + ${limit%.*}))" attached_is 1 "pop$n")
    for f in "${FAMILIES[@]}"; do
        t_client[$f]=$(first_served "$f" "$want" "$t0" "$limit")
    done
    stop_loops
    result "restart relay pop$n: /readyz 200 after $t_ready s (JVM start); operator attached at pop$n after $t_attach s; first client answer $want after $(both t_client); operator endpoint $(attach_endpoint)"
    [[ $t_attach != timeout ]] || { ok=0; log "FAIL: operator not attached at pop$n again"; }
    for f in "${FAMILIES[@]}"; do
        [[ ${t_client[$f]} != timeout ]] || { ok=0; log "FAIL: IPv$f client not served as $want again"; }
    done
}

attach_drain() {  # attach_drain N OTHER: SIGTERM pop N's relay; the operator moves to pop OTHER; exit 0
    local n="$1" o="$2" t0 f limit=10
    local -A t_client=() counts=()
    log "SIGTERM the relay in pop$n (drain: relay drain.delay $RELAY_DRAIN_DELAY, controller GRACEFUL_SHUTDOWN); the operator must move to pop$o"
    [[ $REATTACH == true ]] || limit=$LIMIT_NO_REATTACH
    start_loops
    t0=$(now)
    relay_signal "$n" TERM
    local t_route t_attach
    t_route=$(tool route --log "$D/route-monitor-op.log" --prefix "$VIP" --via "10.0.3$o.2" --since "$t0" --timeout 10) || t_route=timeout
    t_attach=$(attach_time_until "$t0" "$limit" attached_is "$o" "pop$o")
    for f in "${FAMILIES[@]}"; do
        t_client[$f]=$(first_served "$f" "pop$o" "$t0" "$limit")
    done
    local deadline=$((SECONDS + 30)) exited=timeout
    while ((SECONDS < deadline)); do
        if ! relay_running "$n"; then exited=$(elapsed "$t0" "$(now)"); break; fi
        sleep 0.05
    done
    [[ $exited != timeout ]] || relay_signal "$n" KILL 2>/dev/null
    relay_reap "$n"
    local rc=$RELAY_RC
    sleep 0.3
    stop_loops
    for f in "${FAMILIES[@]}"; do counts[$f]=$(tool count --log "${LOOP_LOG[$f]}" --since "$t0" --until "$(now)"); done
    result "drain relay pop$n: operator route -> pop$o (GRACEFUL_SHUTDOWN) after $t_route s; operator attached at pop$o after $t_attach s; first client answer delivered by pop$o after $(both t_client); relay exited (status $rc) after $exited s; loop IPv4: $(head -1 <<<"${counts[4]}"); loop IPv6: $(head -1 <<<"${counts[6]}")"
    [[ $t_route != timeout ]] || { ok=0; log "FAIL: operator route did not move to pop$o on drain"; }
    [[ $t_attach != timeout ]] || { ok=0; log "FAIL: operator not attached at pop$o after the drain"; }
    for f in "${FAMILIES[@]}"; do
        [[ ${t_client[$f]} != timeout ]] || { ok=0; log "FAIL: IPv$f client not served by pop$o after the drain"; }
    done
    [[ $exited != timeout && $rc == 0 ]] || { ok=0; log "FAIL: relay did not exit 0 after the drain"; }
}

# pop1, the clients' PoP (the operator stays attached at pop2): kill -9, restart, drain. The
# clients' route moves to pop2, which delivers to its own operator; back at pop1, the backhaul again.
attach_ingress() {
    local t0 t_dead f rc
    local -A t_route=() t_client=() t_back=() counts=()
    log "kill -9 the relay in pop1 (the clients' PoP; the operator stays attached at pop2); clients on IPv4 and IPv6"
    start_loops
    t0=$(now)
    relay_signal 1 KILL
    relay_reap 1
    t_dead=$(now)
    for f in "${FAMILIES[@]}"; do t_route[$f]=$(moved_to "$f" 2 "$t0" 10); done
    for f in "${FAMILIES[@]}"; do t_client[$f]=$(first_served "$f" pop2 "$t0" "$LIMIT_MOVE"); done
    sleep 0.3
    stop_loops
    for f in "${FAMILIES[@]}"; do
        counts[$f]=$(tool count --log "${LOOP_LOG[$f]}" --since "$t0" --until "$(now)" --lost "$t_dead")
    done
    result "kill -9 relay pop1 (clients' PoP): router route -> pop2 after $(both t_route); first client answer delivered by pop2 after $(both t_client) (limit ${LIMIT_MOVE} s); operator attached at $(attached_at 2), endpoint $(attach_endpoint); loop IPv4: $(head -1 <<<"${counts[4]}"); loop IPv6: $(head -1 <<<"${counts[6]}")"
    for f in "${FAMILIES[@]}"; do
        [[ ${t_client[$f]} != timeout ]] && le "${t_client[$f]}" "$LIMIT_MOVE" || { ok=0; log "FAIL: IPv$f client not served by pop2 within ${LIMIT_MOVE} s"; }
    done

    log "restart the relay in pop1; the clients' route comes back, and their connections cross the backhaul again"
    start_loops
    t0=$(now)
    start_relay 1
    await "$WAIT_START" "pop1's relay ready again" relay_ready 1
    local t_ready
    t_ready=$(elapsed "$t0" "$(now)")
    for f in "${FAMILIES[@]}"; do t_back[$f]=$(moved_to "$f" 1 "$t0" 30); done
    for f in "${FAMILIES[@]}"; do t_client[$f]=$(first_served "$f" "pop1>pop2" "$t0" 30); done
    stop_loops
    result "restart relay pop1: /readyz 200 after $t_ready s (JVM start); router route back to pop1 after $(both t_back); first client answer pop1>pop2 after $(both t_client)"
    for f in "${FAMILIES[@]}"; do
        [[ ${t_client[$f]} != timeout ]] || { ok=0; log "FAIL: IPv$f client not served as pop1>pop2 after pop1's restart"; }
    done
    await 10 "the routes via pop1" routes_via 1

    log "SIGTERM the relay in pop1 (drain); clients on IPv4 and IPv6"
    start_loops
    t0=$(now)
    relay_signal 1 TERM
    for f in "${FAMILIES[@]}"; do t_route[$f]=$(moved_to "$f" 2 "$t0" 10); done
    for f in "${FAMILIES[@]}"; do t_client[$f]=$(first_served "$f" pop2 "$t0" 10); done
    local deadline=$((SECONDS + 30)) exited=timeout
    while ((SECONDS < deadline)); do
        if ! relay_running 1; then exited=$(elapsed "$t0" "$(now)"); break; fi
        sleep 0.05
    done
    [[ $exited != timeout ]] || relay_signal 1 KILL 2>/dev/null
    relay_reap 1
    rc=$RELAY_RC
    sleep 0.3
    stop_loops
    for f in "${FAMILIES[@]}"; do counts[$f]=$(tool count --log "${LOOP_LOG[$f]}" --since "$t0" --until "$(now)"); done
    result "drain relay pop1 (clients' PoP): router route -> pop2 (GRACEFUL_SHUTDOWN) after $(both t_route); first client answer delivered by pop2 after $(both t_client); relay exited (status $rc) after $exited s; loop IPv4: $(head -1 <<<"${counts[4]}"); loop IPv6: $(head -1 <<<"${counts[6]}")"
    for f in "${FAMILIES[@]}"; do
        [[ ${t_client[$f]} != timeout ]] || { ok=0; log "FAIL: IPv$f client not served by pop2 during pop1's drain"; }
    done
    [[ $exited != timeout && $rc == 0 ]] || { ok=0; log "FAIL: pop1's relay did not exit 0 after the drain"; }
}

metric() {  # metric N SERIES: pop N's value of the Prometheus series (its name and labels as written), 0 if absent
    ip netns exec "lab-pop$1" curl -s -m 2 http://127.0.0.1:9090/metrics \
        | awk -v s="$2" 'index($0, s) == 1 && substr($0, length(s) + 1, 1) == " " { v = $2 } END { print v + 0 }'
}

# The operator turns hostile: it routes the mesh's addresses into its tunnel (its side's allowed IPs
# widened) and tries pop2's backhaul listener and HTTP port on both PoPs' mesh addresses. Nothing
# may answer; pop2's interface drops every packet (destination_not_allowed for the IPv6 ones, sent
# from the operator's tunnel address; the IPv4 ones carry a source the operator does not own).
attach_isolation() {
    local ok=1 target port answered=() before after
    log "isolation: lab-op routes the mesh (10.200.0.0/24, fd00:200::/64) into its tunnel and connects to the backhaul listener (7443) and port 80 at both PoPs' mesh addresses"
    ip netns exec lab-op wg set "$ATTACH_OP_IF" peer "$NETWORK_PUB" \
        allowed-ips "2001:db8:96::1/128,100.96.0.1/32,10.200.0.0/24,fd00:200::/64"
    ip -n lab-op route add 10.200.0.0/24 dev "$ATTACH_OP_IF"
    ip -n lab-op -6 route add fd00:200::/64 dev "$ATTACH_OP_IF" src "$WG_OP_ADDR"
    before=$(metric 2 'relay_wireguard_peer_drops_total{operator="demo",pop="pop2",reason="destination_not_allowed"}')
    for target in 10.200.0.2 10.200.0.1 fd00:200::2 fd00:200::1; do
        for port in 7443 80; do
            if ip netns exec lab-op python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' \
                "$target" "$port" 2>/dev/null; then
                answered+=("$target:$port")
            fi
        done
    done
    after=$(metric 2 'relay_wireguard_peer_drops_total{operator="demo",pop="pop2",reason="destination_not_allowed"}')
    ip -n lab-op -6 route del fd00:200::/64 dev "$ATTACH_OP_IF"
    ip -n lab-op route del 10.200.0.0/24 dev "$ATTACH_OP_IF"
    ip netns exec lab-op wg set "$ATTACH_OP_IF" peer "$NETWORK_PUB" allowed-ips "2001:db8:96::1/128,100.96.0.1/32"
    result "isolation: 8 connections from lab-op's tunnel to the mesh addresses (backhaul listener, port 80): answered ${#answered[@]} (${answered[*]:-none}); pop2 dropped $((after - before)) of the operator's packets as destination_not_allowed"
    ((${#answered[@]} == 0)) || { ok=0; log "FAIL: the operator reached ${answered[*]} through its tunnel"; }
    ((after - before >= 4)) || { ok=0; log "FAIL: pop2 counted $((after - before)) destination_not_allowed drops (expected: at least the 4 IPv6 SYNs)"; }
    return $((1 - ok))
}

# A hostile host sends WireGuard data to pop1 (the clients' PoP; the operator is attached at pop2):
# 2,000 datagrams with random receiver indexes, which no PoP issued (no handshake may follow), then
# 2,000 with the index pop2 issued to the operator, read from the attachments topic (pop1 resolves
# it and initiates to the sender, within the per-operator limit: 1 a second, burst 2).
attach_hostile_index() {
    local ok=1 cp index before after triggered limited elapsed
    log "hostile WireGuard data from lab-client to pop1 ($VIP:$WG_RELAY_PORT): random receiver indexes, then the operator's own"
    before=$(metric 1 'relay_wireguard_reattach_total{outcome="triggered",pop="pop1"}')
    ip netns exec lab-client python3 "$LAB/labtool.py" wgdata --target "$VIP" --count 2000 --rate 1000 >/dev/null
    after=$(metric 1 'relay_wireguard_reattach_total{outcome="triggered",pop="pop1"}')
    local random_triggered=$((after - before))
    cp=$(cat "$ROOT/test-support/target/classes/co/airdress/relay/testing/kafka-broker.classpath")
    index=$(ip netns exec lab-pop1 "$(lab_java)" -Xmx128m -cp "$cp" org.apache.kafka.tools.consumer.ConsoleConsumer \
        --bootstrap-server "$CORE_ADDR:$KAFKA_PORT" --topic airdress.attachments --from-beginning --timeout-ms 5000 \
        --property print.key=true 2>/dev/null \
        | awk -F'\t' '$1 == "demo" { v = $2 } END { print v }' \
        | python3 -c 'import json, sys; a = json.load(sys.stdin); assert a["pop"] == "pop2", a; print(a["receiver_indexes"][-1])') \
        || { log "FAIL: no attachment of demo at pop2 in airdress.attachments"; return 1; }
    before=$(metric 1 'relay_wireguard_reattach_total{outcome="triggered",pop="pop1"}')
    local limited_before
    limited_before=$(metric 1 'relay_wireguard_reattach_total{outcome="limited",pop="pop1"}')
    local t0
    t0=$(now)
    ip netns exec lab-client python3 "$LAB/labtool.py" wgdata --target "$VIP" --count 2000 --rate 1000 --index "$index" >/dev/null
    elapsed=$(elapsed "$t0" "$(now)")
    after=$(metric 1 'relay_wireguard_reattach_total{outcome="triggered",pop="pop1"}')
    triggered=$((after - before))
    limited=$(($(metric 1 'relay_wireguard_reattach_total{outcome="limited",pop="pop1"}') - limited_before))
    local bound
    bound=$(awk -v e="$elapsed" 'BEGIN { printf "%d", 2 + e + 1 }')  # burst 2, 1 a second, one more for the clock
    local least=1
    [[ $REATTACH == true ]] || bound=0 least=0  # wireguard.reattach: false drops them all
    result "hostile WireGuard data at pop1: 2,000 random receiver indexes -> $random_triggered handshakes initiated; 2,000 with the operator's index $index (pop2's) in $elapsed s -> $triggered initiated (bound $bound), $limited refused by the rate limit; operator still attached at $(attached_at 1), endpoint $(attach_endpoint)"
    ((random_triggered == 0)) || { ok=0; log "FAIL: random receiver indexes started $random_triggered handshakes (expected: 0)"; }
    ((triggered >= least && triggered <= bound)) || { ok=0; log "FAIL: the operator's index from a stranger started $triggered handshakes (expected: $least..$bound)"; }
    [[ "$(attach_endpoint)" == "$VIP:$WG_RELAY_PORT" ]] || { ok=0; log "FAIL: lab-op's endpoint moved to $(attach_endpoint)"; }
    return $((1 - ok))
}

# A third PoP joins the running network: its relay starts with the network key, a mesh key of its
# own and the same topics, and nothing is changed or restarted on pop1 or pop2. They learn it from
# the PoPs' topic (relay_backhaul_pops 1 -> 2) and add it to their mesh; a client of pop3 (in its
# namespace: pop3 has no route to the router, no BGP) is served by pop2, the operator's PoP, over the
# backhaul pop3 -> pop2, and pop2 counts the connection from pop3. Underlay: lab-pop3's 10.0.99.3
# (on its lo) reached over a veth pair to each PoP; the broker over a veth pair to lab-core.
attach_join() {
    local n pids_before key_pid
    pids_before="${PIDS[relay-pop1]} ${PIDS[relay-pop2]}"
    log "a third PoP joins: pop3 starts in lab-pop3 with the network key and a mesh key of its own; pop1 and pop2 are left as they are"
    veth lab-pop1 p1-p3 10.0.98.1/30 lab-pop3 p3-p1 10.0.98.2/30
    veth lab-pop2 p2-p3 10.0.97.1/30 lab-pop3 p3-p2 10.0.97.2/30
    ip -n lab-pop3 addr add 10.0.99.3/32 dev lo
    ip -n lab-pop1 route add 10.0.99.3/32 via 10.0.98.2
    ip -n lab-pop2 route add 10.0.99.3/32 via 10.0.97.2
    ip -n lab-pop3 route add 10.0.99.1/32 via 10.0.98.1
    ip -n lab-pop3 route add 10.0.99.2/32 via 10.0.97.1
    veth lab-core c-p3 10.0.23.1/30 lab-pop3 p3-c 10.0.23.2/30
    ip -n lab-pop3 route add "$CORE_ADDR/32" via 10.0.23.1
    ip -n lab-pop3 link add vip0 type veth peer name vip0p
    ip -n lab-pop3 link set vip0 up; ip -n lab-pop3 link set vip0p up
    ip -n lab-pop3 addr add "$VIP/32" dev vip0
    v6addr lab-pop3 vip0 "$VIP6/128"
    mkdir -p "$D/pop3"
    (umask 077; cp "$D/pop1/wg.key" "$D/pop3/wg.key")
    # shellcheck disable=SC2046 # relay_cmd is a command line
    (umask 077; $(relay_cmd) genkey >"$D/pop3/mesh.key") || die "relay genkey failed"
    RELAY_LISTEN[2]=${RELAY_LISTEN[0]}
    RELAY_WIREGUARD[2]="wireguard: { interface: lab-relay-p3, private_key_file: wg.key, listen_port: $WG_RELAY_PORT, addresses: [\"2001:db8:96::1/64\", \"100.96.0.1/16\"], listen_addresses: [\"$VIP\", \"$VIP6\"], reattach: $REATTACH, public_endpoint: \"$VIP:$WG_RELAY_PORT\" }
backhaul: { interface: lab-mesh-p3, private_key_file: mesh.key, addresses: [\"10.200.0.3/24\", \"fd00:200::3/64\"], listen_port: $ATTACH_MESH_PORT, endpoint: \"10.0.99.3:$ATTACH_MESH_PORT\", topic: $ATTACH_POPS_TOPIC }"
    write_relay_config 3
    local t0
    t0=$(now)
    start_relay 3
    await "$WAIT_START" "pop3's relay ready" relay_ready 3
    for n in 1 2; do
        await 10 "pop$n knows 2 other PoPs (pop3 from the PoPs' topic)" \
            eval "(( \$(metric $n 'relay_backhaul_pops{pop=\"pop$n\"}') == 2 ))"
    done
    local p before after
    before=$(metric 2 'relay_backhaul_connections_total{direction="in",pop="pop3"}')
    p=$(ip netns exec lab-pop3 python3 "$LAB/labtool.py" probe --target "$VIP" --host "$HOST" --timeout 5) || p=failed
    after=$(metric 2 'relay_backhaul_connections_total{direction="in",pop="pop3"}')
    result "pop3 joined: ready $(elapsed "$t0" "$(now)") s after its start; pop1 and pop2 know $(metric 1 'relay_backhaul_pops{pop="pop1"}') and $(metric 2 'relay_backhaul_pops{pop="pop2"}') other PoPs; a request to pop3 answered by $p; pop2's backhaul connections from pop3: $before -> $after; pop1 and pop2's relays: pids $pids_before -> ${PIDS[relay-pop1]} ${PIDS[relay-pop2]}"
    local ok=1
    [[ $p == "pop3>pop2" ]] || { ok=0; log "FAIL: a request to pop3 answered by $p (expected: pop3>pop2, over the backhaul)"; }
    [[ "${PIDS[relay-pop1]} ${PIDS[relay-pop2]}" == "$pids_before" ]] || { ok=0; log "FAIL: pop1's or pop2's relay was restarted"; }
    awk -v a="$before" -v b="$after" 'BEGIN { exit !(b == a + 1) }' \
        || { ok=0; log "FAIL: pop2 counted $before -> $after backhaul connections from pop3 (expected: one more)"; }
    relay_signal 3 KILL
    relay_reap 3
    return $((!ok))
}

served_as() {  # served_as WHAT: one HTTP request from lab-client to the IPv4 VIP is answered by WHAT ("pop1>pop2")
    [[ "$(ip netns exec lab-client python3 "$LAB/labtool.py" probe --target "$VIP" --host "$HOST" --timeout 1 2>/dev/null)" == "$1" ]]
}

check_attach() {
    local ok=1
    RESULTS=()
    check_directory || ok=0
    local endpoint
    endpoint=$(attach_endpoint)
    result "one operator tunnel: lab-op has $(ip netns exec lab-op wg show "$ATTACH_OP_IF" peers | wc -l) peer ($NETWORK_PUB), endpoint $endpoint; attached at $(attached_at 1) (pop1's view) / $(attached_at 2) (pop2's view)"
    [[ $endpoint == "$VIP:$WG_RELAY_PORT" ]] || { ok=0; log "FAIL: lab-op's endpoint is $endpoint (expected: $VIP:$WG_RELAY_PORT)"; }
    local f tls p
    for f in "${FAMILIES[@]}"; do
        for tls in "" --tls; do
            local what=HTTP
            [[ -z $tls ]] || what=TLS
            # shellcheck disable=SC2086 # $tls: no argument or --tls
            p=$(ip netns exec lab-client python3 "$LAB/labtool.py" probe --target "${FAMILY_VIP[$f]}" --host "$HOST" \
                $tls --cafile "$D/op/demo.crt" --with-client) || p=failed
            result "IPv$f $what request from lab-client: answered by ${p%%,*} (client's PoP>delivering PoP)${p#"${p%%,*}"}"
            [[ $p == "pop1>pop2, client address as sent "* ]] \
                || { ok=0; log "FAIL: IPv$f $what request answered by $p (expected: pop1>pop2, over the backhaul, the operator given the client's own address)"; }
        done
    done
    attach_isolation || ok=0
    attach_hostile_index || ok=0
    attach_join || ok=0
    await 10 "demo attached at pop2, as pop1 sees it" attached_is 1 pop2
    attach_kill 2 1
    attach_restart 2
    local again=30
    [[ $REATTACH == true ]] || again=${LIMIT_NO_REATTACH%.*}
    await "$again" "the operator attached at pop2 again" attached_is 1 pop2
    attach_drain 2 1
    # pop2 back, the operator attached there again; then the clients' PoP fails, restarts, drains.
    log "restart the relay in pop2 again (the operator's PoP), then the same for pop1, the clients' PoP"
    start_relay 2
    await "$WAIT_START" "pop2's relay ready again" relay_ready 2
    await "$again" "the operator attached at pop2 again" attached_is 1 pop2
    # Without the fast path the operator's own timers bring its session back to pop2 some seconds
    # after the attachment shows there: the clients' next steps start once it carries them again.
    await "$again" "a client request answered pop1>pop2 again" served_as "pop1>pop2"
    attach_ingress
    echo
    attach_show_tunnels
    verdict "$ok" "operator path: $(path_name); reattach $REATTACH; operator keepalive ${WG_KEEPALIVE} s; timings: controller interval $CTRL_INTERVAL, timeout $CTRL_TIMEOUT, fall $CTRL_FALL, rise $CTRL_RISE, drain-delay $CTRL_DRAIN_DELAY; BFD 100 ms x 3; relay drain.delay $RELAY_DRAIN_DELAY"
}
