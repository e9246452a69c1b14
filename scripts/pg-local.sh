#!/usr/bin/env bash
# Starts (or reuses) / stops a local PostgreSQL cluster under .data/pg for `make run`.
# The server refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail
cmd=${1:-start}
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data/pg"
port=${AUTH_DEV_PG_PORT:-${PG_PORT:-54329}}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    echo "Installing PostgreSQL (apt-get install postgresql)..." >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    bin=$(pg_bin)
    mkdir -p "$root/.data"
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" = 0 ] && chown postgres: "$data" "$root/.data"
      as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
      echo "Created PostgreSQL cluster in $data"
    fi
    if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "PostgreSQL already running on 127.0.0.1:$port"
    elif "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1; then
      echo "Port $port is taken by another PostgreSQL (another checkout's cluster?)." >&2
      echo "Stop it, or pick another port: make run PG_PORT=54330" >&2
      exit 1
    else
      as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data" start >/dev/null
      echo "PostgreSQL started on 127.0.0.1:$port"
    fi
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='auth_service'" | grep -q 1; then
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres auth_service
    fi
    ;;
  stop)
    bin=$(pg_bin)
    if [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null && echo "PostgreSQL stopped"
    else
      echo "PostgreSQL is not running"
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
