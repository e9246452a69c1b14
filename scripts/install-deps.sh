#!/usr/bin/env bash
# Installs the Debian packages that are missing, for one purpose:
#   install-deps.sh run   PostgreSQL server binaries (initdb, pg_ctl) for the local cluster of `make run`
#   install-deps.sh test  that, plus aiosmtpd (the tests' SMTP server), Chromium (browser tests) and
#                         promtool (Debian's prometheus package: checks deploy/monitoring's alert rules)
# libsodium (Argon2id) is not among them: it comes from NuGet (the libsodium package's native builds).
set -euo pipefail
purpose="${1:-test}"
case "$purpose" in
  run|test) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ "$purpose" = test ]; then
  # The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # The tests' SMTP server (aiosmtpd), run by Debian's own python3.
  /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
  # promtool: `check rules`, `test rules` and `check metrics` (services/auth-service.Tests/Telemetry).
  command -v promtool >/dev/null 2>&1 || need+=(prometheus)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing: ${need[*]}" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
# Only promtool is wanted from the prometheus package, not its server: keep the install from starting it
# (invoke-rc.d honours policy-rc.d; 101 means "forbidden", what container images ship) and from boot.
server_guard=no
if [[ " ${need[*]} " == *" prometheus "* && ! -e /usr/sbin/policy-rc.d ]]; then
  $SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  server_guard=yes
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
if [ "$server_guard" = yes ]; then
  $SUDO systemctl disable prometheus >/dev/null 2>&1 || $SUDO update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
