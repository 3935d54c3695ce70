#!/usr/bin/env bash
# `INSTANCES=N make start` and the rolling-restart test run Debian's haproxy: install it when missing.
# Without root or a package source it only warns; the test then skips, or fails under CI=true.
set -uo pipefail
command -v haproxy >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-haproxy: haproxy is missing and cannot be installed here (needs root and apt-get):" \
    "run 'apt-get install -y haproxy'" >&2
  exit 0
fi
echo "ensure-haproxy: installing Debian's haproxy (once)" >&2
log="$(mktemp)"
if DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy >>"$log" 2>&1; then
  rm -f "$log"
else
  echo "ensure-haproxy: the install failed (log: $log)" >&2
fi
# The package starts its own haproxy.service on port 80 where systemd runs; the shop runs its own.
exit 0
