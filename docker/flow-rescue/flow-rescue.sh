#!/usr/bin/env bash
# Installs or removes flow rescue on a PoP (needs root; run it in the PoP's network namespace).
#
#   flow-rescue.sh up   --vip 192.0.2.1 --link <inter-PoP interface> --via <neighbour's address on it>
#                       [--ports 80,443] [--mark 0x1a1d] [--table 6685]
#   flow-rescue.sh down [--mark 0x1a1d] [--table 6685]
#   flow-rescue.sh show                  the counters: rescued, received, not_forwarded
#
# What it does and why: README.md beside this script.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VIP="" LINK="" VIA="" PORTS="80,443" MARK="0x1a1d" TABLE="6685"
RULE_PREF=100    # our fwmark rule ...
LOCAL_PREF=101   # ... and the local table right after it (it is normally at 0, before everything)

die() { echo "flow-rescue: $*" >&2; exit 2; }

usage() { sed -n '2,9p' "$0"; exit 2; }

(($#)) || usage
ACTION="$1"; shift
while (($#)); do
    [[ $# -ge 2 ]] || die "option $1 needs a value"
    case "$1" in
        --vip) VIP="$2" ;;
        --link) LINK="$2" ;;
        --via) VIA="$2" ;;
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

local_rule_at() { ip rule show pref "$1" | grep -w 'lookup local' >/dev/null; }  # not -q: with pipefail, an early exit could fail ip

up() {
    [[ $VIP =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "--vip: '$VIP' (expected: the anycast IPv4 address, e.g. 192.0.2.1)"
    [[ -n $LINK ]] && ip link show dev "$LINK" >/dev/null 2>&1 \
        || die "--link: '$LINK' (expected: an existing interface towards the neighbour PoP)"
    [[ $VIA =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "--via: '$VIA' (expected: the neighbour's IPv4 address on $LINK)"
    [[ $PORTS =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--ports: '$PORTS' (expected: ports separated by commas, e.g. 80,443)"

    nft delete table ip airdress_flow_rescue 2>/dev/null || true
    nft -D "VIP=$VIP" -D "PORTS={ ${PORTS//,/, } }" -D "LINK=\"$LINK\"" -D "MARK=$MARK" \
        -f "$HERE/flow-rescue.nft"

    ip route replace default via "$VIA" dev "$LINK" table "$TABLE"
    ip rule del pref "$RULE_PREF" 2>/dev/null || true
    ip rule add pref "$RULE_PREF" fwmark "$MARK" lookup "$TABLE"
    # A rescued packet is addressed to the VIP, which is local here: the local table must come
    # after our rule, or the packet would be delivered here instead. Add first, then remove the
    # old one, so local delivery never lapses.
    local_rule_at "$LOCAL_PREF" || ip rule add pref "$LOCAL_PREF" lookup local
    while local_rule_at 0; do ip rule del pref 0 lookup local; done

    # Forwarding for the rescued packets only (the nftables forward chain drops everything else).
    sysctl -qw net.ipv4.ip_forward=1
    # The neighbour's replies leave by the uplink, not by the link: loose or no reverse-path filter.
    local rp
    rp=$(sysctl -n "net.ipv4.conf.$LINK.rp_filter")
    [[ $rp == 1 ]] && sysctl -qw "net.ipv4.conf.$LINK.rp_filter=2"
    echo "flow-rescue: up: non-SYN packets to $VIP ports $PORTS of flows without a local socket go to $VIA via $LINK (fwmark $MARK, table $TABLE)"
}

down() {
    local_rule_at 0 || ip rule add pref 0 lookup local
    while local_rule_at "$LOCAL_PREF"; do ip rule del pref "$LOCAL_PREF" lookup local; done
    ip rule del pref "$RULE_PREF" fwmark "$MARK" lookup "$TABLE" 2>/dev/null || true
    ip route flush table "$TABLE" 2>/dev/null || true
    nft delete table ip airdress_flow_rescue 2>/dev/null || true
    echo "flow-rescue: down (IPv4 forwarding left as it is)"
}

show() {
    local c
    for c in rescued received not_forwarded; do
        printf '%s %s\n' "$c" "$(nft list counter ip airdress_flow_rescue "$c" | awk '$1 == "packets" { print $2 }')"
    done
}

case "$ACTION" in
    up) up ;;
    down) down ;;
    show) show ;;
    *) usage ;;
esac
