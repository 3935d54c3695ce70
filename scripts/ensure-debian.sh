#!/usr/bin/env bash
# Installs a Debian package a test or a make target needs, when it is missing:
#   ensure-debian.sh <package> <what needs it> <check command...>
# The check (e.g. `command -v haproxy`) says whether it is there. make chromium, haproxy, prometheus and wrk
# call it. Without root or apt-get it only warns: the test then skips, or fails under CI=true. The package's own
# service (haproxy's, prometheus's) is kept from starting: policy-rc.d, as Debian's images do; the shop runs its own.
set -uo pipefail
package="$1" purpose="$2"
shift 2
"$@" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian: $package is missing (for $purpose) and cannot be installed here (needs root and apt-get):" \
    "run 'apt-get install -y $package'" >&2
  exit 0
fi
echo "ensure-debian: installing Debian's $package for $purpose (once)" >&2
log="$(mktemp)"
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" = 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
fi
if DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" >>"$log" 2>&1; then
  rm -f "$log"
else
  echo "ensure-debian: installing $package failed (log: $log)" >&2
fi
[ "$had_policy" = 1 ] || rm -f "$policy"
"$@" >/dev/null 2>&1 || echo "ensure-debian: $package is still missing after the install (log: $log)" >&2
exit 0
