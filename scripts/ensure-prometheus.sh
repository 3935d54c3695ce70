#!/usr/bin/env bash
# The Prometheus test (tests/prometheus.test.ts) runs Debian's prometheus, and `make rules` checks the alerting
# rules with its promtool: install the package when either is missing. Without root or a package source it only
# warns; the test then skips, or fails under CI=true.
set -uo pipefail
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-prometheus: prometheus or promtool is missing and cannot be installed here (needs root and" \
    "apt-get): run 'apt-get install -y prometheus'" >&2
  exit 0
fi
echo "ensure-prometheus: installing Debian's prometheus (the server and promtool) for the tests (once)" >&2
log="$(mktemp)"
# The package's own service is not wanted: policy-rc.d keeps it from starting (a test starts its own).
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
fi
if DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >>"$log" 2>&1; then
  rm -f "$log"
else
  echo "ensure-prometheus: the install failed (log: $log)" >&2
fi
[ "$had_policy" = 1 ] || rm -f "$policy"
exit 0
