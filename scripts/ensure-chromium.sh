#!/usr/bin/env bash
# The browser test (tests/browser) drives Debian's chromium: install it when missing. Without root
# or a package source it only warns; the test then skips, or fails under CI=true.
set -uo pipefail
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium_path" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $chromium_path is missing and cannot be installed here (needs root and apt-get):" \
    "run 'apt-get install -y chromium'" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium for the browser test (once; takes a minute)" >&2
log="$(mktemp)"
if DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >>"$log" 2>&1; then
  rm -f "$log"
else
  echo "ensure-chromium: the install failed (log: $log)" >&2
fi
exit 0
