#!/usr/bin/env bash
# Installs or removes flow rescue on a PoP (needs root; run it in the PoP's network namespace).
#
#   flow-rescue.sh up   --vip <VIP> [--vip <VIP of the other family>] --link <inter-PoP interface>
#                       --via <neighbour's address on it, one per VIP family>
#                       [--ports 80,443] [--mark 0x1a1d] [--table 6685]
#       e.g. up --vip 192.0.2.1 --vip 2001:db8::1 --link p2-p1 --via 10.0.99.1 --via 2001:db8:100:99::1
#   flow-rescue.sh down [--mark 0x1a1d] [--table 6685]
#   flow-rescue.sh show                  the counters: rescued, received, not_forwarded
#
# What it does and why: README.md beside this script.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VIP4="" VIP6="" VIA4="" VIA6="" LINK="" PORTS="80,443" MARK="0x1a1d" TABLE="6685"
RULE_PREF=100    # our fwmark rule ...
LOCAL_PREF=101   # ... and the local table right after it (it is normally at 0, before everything)

die() { echo "flow-rescue: $*" >&2; exit 2; }

usage() { sed -n '2,11p' "$0"; exit 2; }

IPV4_RE='^[0-9]{1,3}(\.[0-9]{1,3}){3}$'
IPV6_RE='^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$'   # the shape; `ip` and nft check the value itself
is_ipv4() { [[ $1 =~ $IPV4_RE ]]; }
is_ipv6() { [[ $1 =~ $IPV6_RE && $1 != *%* ]]; }

# --vip / --via: once per family; the family is read off the address.
set_by_family() {  # set_by_family OPTION VALUE V4_VAR V6_VAR WHAT
    local option="$1" value="$2" v4="$3" v6="$4" what="$5"
    if is_ipv4 "$value"; then
        [[ -z ${!v4} ]] || die "$option: '$value' (expected: at most one IPv4 $what; already have ${!v4})"
        printf -v "$v4" '%s' "$value"
    elif is_ipv6 "$value"; then
        [[ -z ${!v6} ]] || die "$option: '$value' (expected: at most one IPv6 $what; already have ${!v6})"
        printf -v "$v6" '%s' "$value"
    else
        die "$option: '$value' (expected: an IPv4 or IPv6 $what, e.g. 192.0.2.1 or 2001:db8::1)"
    fi
}

(($#)) || usage
ACTION="$1"; shift
while (($#)); do
    [[ $# -ge 2 ]] || die "option $1 needs a value"
    case "$1" in
        --vip) set_by_family --vip "$2" VIP4 VIP6 "anycast address" ;;
        --link) LINK="$2" ;;
        --via) set_by_family --via "$2" VIA4 VIA6 "address of the neighbour on --link" ;;
        --ports) PORTS="$2" ;;
        --mark) MARK="$2" ;;
        --table) TABLE="$2" ;;
        *) die "unknown option: $1 (expected: --vip, --link, --via, --ports, --mark, --table)" ;;
    esac
    shift 2
done

[[ $MARK =~ ^(0x[0-9a-fA-F]{1,8}|[1-9][0-9]*)$ ]] || die "--mark: $MARK (expected: a non-zero fwmark, e.g. 0x1a1d)"
[[ $TABLE =~ ^[1-9][0-9]*$ && $TABLE != 253 && $TABLE != 254 && $TABLE != 255 ]] \
    || die "--table: $TABLE (expected: a free routing table number, not 253-255)"

# ip's family switch: -4 or -6.
local_rule_at() { ip "$1" rule show pref "$2" | grep -w 'lookup local' >/dev/null; }  # not -q: with pipefail, an early exit could fail ip

# The policy routing of one family: rescued (marked) packets to the neighbour, and the local
# table after our rule.
route_up() {  # route_up -4|-6 VIA
    local f="$1" via="$2"
    ip "$f" route replace default via "$via" dev "$LINK" table "$TABLE"
    ip "$f" rule del pref "$RULE_PREF" 2>/dev/null || true
    ip "$f" rule add pref "$RULE_PREF" fwmark "$MARK" lookup "$TABLE"
    # A rescued packet is addressed to the VIP, which is local here: the local table must come
    # after our rule, or the packet would be delivered here instead. Add first, then remove the
    # old one, so local delivery never lapses.
    local_rule_at "$f" "$LOCAL_PREF" || ip "$f" rule add pref "$LOCAL_PREF" lookup local
    while local_rule_at "$f" 0; do ip "$f" rule del pref 0 lookup local; done
}

route_down() {  # route_down -4|-6
    local f="$1"
    local_rule_at "$f" 0 || ip "$f" rule add pref 0 lookup local
    while local_rule_at "$f" "$LOCAL_PREF"; do ip "$f" rule del pref "$LOCAL_PREF" lookup local; done
    ip "$f" rule del pref "$RULE_PREF" fwmark "$MARK" lookup "$TABLE" 2>/dev/null || true
    ip "$f" route flush table "$TABLE" 2>/dev/null || true
}

up() {
    [[ -n $VIP4 || -n $VIP6 ]] || die "--vip: missing (expected: the anycast IPv4 and/or IPv6 address)"
    [[ -n $LINK ]] && ip link show dev "$LINK" >/dev/null 2>&1 \
        || die "--link: '$LINK' (expected: an existing interface towards the neighbour PoP)"
    [[ -z $VIP4 || -n $VIA4 ]] || die "--via: no IPv4 address (expected: the neighbour's IPv4 address on $LINK, for --vip $VIP4)"
    [[ -z $VIP6 || -n $VIA6 ]] || die "--via: no IPv6 address (expected: the neighbour's IPv6 address on $LINK, for --vip $VIP6)"
    [[ -n $VIP4 || -z $VIA4 ]] || die "--via: '$VIA4' (expected: an IPv4 --via only with an IPv4 --vip)"
    [[ -n $VIP6 || -z $VIA6 ]] || die "--via: '$VIA6' (expected: an IPv6 --via only with an IPv6 --vip)"
    [[ $PORTS =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--ports: '$PORTS' (expected: ports separated by commas, e.g. 80,443)"

    # The table and its VIP sets in one transaction: no moment with rules but without VIPs.
    nft delete table ip airdress_flow_rescue 2>/dev/null || true   # the IPv4-only form of this ruleset
    nft delete table inet airdress_flow_rescue 2>/dev/null || true
    {
        echo "include \"$HERE/flow-rescue.nft\""
        [[ -z $VIP4 ]] || echo "add element inet airdress_flow_rescue vip4 { $VIP4 }"
        [[ -z $VIP6 ]] || echo "add element inet airdress_flow_rescue vip6 { $VIP6 }"
    } | nft -D "PORTS={ ${PORTS//,/, } }" -D "LINK=\"$LINK\"" -D "MARK=$MARK" -f -

    # Forwarding for the rescued packets only (the nftables forward chain drops everything else).
    local rescued=()
    if [[ -n $VIP4 ]]; then
        route_up -4 "$VIA4"
        sysctl -qw net.ipv4.ip_forward=1
        # The neighbour's replies leave by the uplink, not by the link: loose or no reverse-path
        # filter. (IPv6 has no rp_filter sysctl.)
        local rp
        rp=$(sysctl -n "net.ipv4.conf.$LINK.rp_filter")
        [[ $rp == 1 ]] && sysctl -qw "net.ipv4.conf.$LINK.rp_filter=2"
        rescued+=("$VIP4 to $VIA4")
    else
        route_down -4
    fi
    if [[ -n $VIP6 ]]; then
        route_up -6 "$VIA6"
        # Forwarding on every interface: with it, Linux ignores router advertisements on an
        # interface whose accept_ra is 1 (README.md, "Requirements").
        sysctl -qw net.ipv6.conf.all.forwarding=1
        rescued+=("$VIP6 to $VIA6")
    else
        route_down -6
    fi
    echo "flow-rescue: up: non-SYN packets of flows without a local socket, ports $PORTS: $(IFS=,; echo "${rescued[*]}" | sed 's/,/, /g') via $LINK (fwmark $MARK, table $TABLE)"
}

down() {
    route_down -4
    route_down -6
    nft delete table inet airdress_flow_rescue 2>/dev/null || true
    nft delete table ip airdress_flow_rescue 2>/dev/null || true
    echo "flow-rescue: down (IPv4 and IPv6 forwarding left as they are)"
}

show() {
    local c
    for c in rescued received not_forwarded; do
        printf '%s %s\n' "$c" "$(nft list counter inet airdress_flow_rescue "$c" | awk '$1 == "packets" { print $2 }')"
    done
}

case "$ACTION" in
    up) up ;;
    down) down ;;
    show) show ;;
    *) usage ;;
esac
