#!/usr/bin/env bash
# The end-to-end benchmark lives in bench/e2e/; this is a shortcut to it (same options).
exec "$(dirname "$0")/e2e/e2e.sh" "$@"
