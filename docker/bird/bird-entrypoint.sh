#!/bin/sh
# Entry point of the BIRD image (docker/bird/Containerfile).
#
#   bird-entrypoint [BIRD OPTION...]   run BIRD in the foreground: bird -f -u bird -g relay
#                                      -c /etc/bird/bird.conf -s /run/bird/bird.ctl [OPTION...]
#   bird-entrypoint COMMAND [ARG...]   run COMMAND instead (e.g. birdc -s /run/bird/bird.ctl show protocols)
#
# Before BIRD starts: /run/bird belongs to group relay (10001) and is group-writable (the
# controller's container rewrites the state file there and connects to the control socket, which
# BIRD creates 0660 for its group), and the state file is seeded withdrawn when it is missing (a
# fresh /run after a reboot: BIRD starts withdrawn; docker/bird/README.md, "Installing on a PoP").
set -eu
case "${1:-}" in
    ""|-*) ;;
    *) exec "$@" ;;
esac
mkdir -p /run/bird
chgrp relay /run/bird
chmod 2775 /run/bird
if [ ! -e /run/bird/vip-state.conf ]; then
    cp /etc/bird/vip-state.conf.initial /run/bird/vip-state.conf
    chgrp relay /run/bird/vip-state.conf
    chmod 0664 /run/bird/vip-state.conf
fi
exec bird -f -u bird -g relay -c /etc/bird/bird.conf -s /run/bird/bird.ctl "$@"
