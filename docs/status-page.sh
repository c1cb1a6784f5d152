#!/usr/bin/env bash
# Regenerates docs/status-page.png, the status page's picture in the README: runs
# StatusPageChromiumTest (a PoP in a network namespace, drained, with a dead WireGuard tunnel and a
# rejected operators file, photographed by headless Chromium) and shrinks its screenshot with
# pngquant. Needs what that test needs (root, chromium, curl, openssl, python3; .ci/run installs
# them) and pngquant.
#
#   sudo docs/status-page.sh
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pngquant >/dev/null 2>&1 || { echo "docs/status-page.sh: needs pngquant (apt-get install pngquant)" >&2; exit 1; }
if [[ -z "${JAVA_HOME:-}" ]]; then
    for candidate in /usr/lib/jvm/*25*; do [[ -x "$candidate/bin/javac" ]] && JAVA_HOME=$candidate && break; done
fi
export JAVA_HOME

shot=relay/target/status-page/status-page.png
rm -f "$shot"
./mvnw -B -q -ntp -pl relay -am test -Dtest=StatusPageChromiumTest -Dsurefire.failIfNoSpecifiedTests=false
[[ -s $shot ]] || { echo "docs/status-page.sh: the test made no $shot" >&2; exit 1; }
pngquant --force --strip --speed 1 --quality 70-95 --output docs/status-page.png "$shot"
size=$(stat -c %s docs/status-page.png)
echo "docs/status-page.png: $((size / 1024)) KiB"
((size < 150 * 1024)) || { echo "docs/status-page.sh: larger than 150 KiB" >&2; exit 1; }
