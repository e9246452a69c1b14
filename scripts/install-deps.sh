#!/usr/bin/env bash
# Installs the Debian packages that are missing, for one purpose:
#   install-deps.sh run   PostgreSQL server binaries (initdb, pg_ctl) for the local cluster of `make run`
#   install-deps.sh test  that, plus aiosmtpd (the tests' SMTP server) and Chromium (browser tests)
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
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing: ${need[*]}" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
