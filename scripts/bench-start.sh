#!/usr/bin/env bash
# Cold start and idle memory of the published build (part of make bench):
#   bench-start.sh <publish dir> <connection string of a migrated database> [<ConstantJson publish dir>]
# A first start migrates the database and creates its keys (not counted); then five starts, each timed from the process's start to the first 200 from /readyz (polled every 10 ms),
# then the process idles 5 s and its resident set (VmRSS) is read; the CPU time (user + system) it used up to
# that first 200 is read too, which wobbles less than the wall clock on a shared machine.
# With a third argument, each round also starts bench/ConstantJson (a bare Kestrel app: the floor of a .NET
# web process on this machine) the same way, right before the service, timed to its first 200 from /.
# Prints every run, then the medians as "start_ms N", "start_cpu_ms N", "rss_mib N" and, with the floor,
# "floor_start_ms N", "floor_rss_mib N".
set -euo pipefail
bin=$(cd "$1" && pwd)
connection=$2
floor=${3:+$(cd "$3" && pwd)}
port=${BENCH_PORT:-8091}
runs=${BENCH_START_RUNS:-5}
starts=(); cpus=(); rss=(); floor_starts=(); floor_rss=()
ticks=$(getconf CLK_TCK)

# measure <url> <command…>: prints "ms cpu_ms rss_mib" of one start (wall to the first 200 from url, idle RSS after 5 s).
measure() {
  local url=$1; shift
  local t0 t1 pid cpu kb
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "$* exited before it was ready" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  cpu=$(awk -v hz="$ticks" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$pid/stat")
  sleep 5
  kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (t1 - t0) / 1000000 )) $cpu $((kb / 1024))"
}

for run in $(seq 0 "$runs"); do
  if [ -n "$floor" ] && [ "$run" != 0 ]; then
    read -r ms _ mib < <(measure "http://127.0.0.1:$port/" dotnet "$floor/ConstantJson.dll" --urls "http://127.0.0.1:$port")
    floor_starts+=("$ms"); floor_rss+=("$mib")
    echo "floor (ConstantJson): start ${ms} ms, idle RSS ${mib} MiB"
  fi
  read -r ms cpu mib < <(measure "http://127.0.0.1:$port/readyz" env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Auth__Issuer="http://127.0.0.1:$port" Auth__KeyEncryptionKey="$(printf 'bench key-encryption key 32 byte' | base64)" \
    ConnectionStrings__Postgres="$connection" "$bin/AuthService" --contentRoot "$bin" --urls "http://127.0.0.1:$port")
  if [ "$run" = 0 ]; then echo "first start, migrating the database: ${ms} ms (not counted)"; continue; fi
  starts+=("$ms"); cpus+=("$cpu"); rss+=("$mib")
  echo "start ${ms} ms (CPU ${cpu} ms), idle RSS ${mib} MiB"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "start_ms $(median "${starts[@]}")"
echo "start_cpu_ms $(median "${cpus[@]}")"
echo "rss_mib $(median "${rss[@]}")"
if [ -n "$floor" ]; then
  echo "floor_start_ms $(median "${floor_starts[@]}")"
  echo "floor_rss_mib $(median "${floor_rss[@]}")"
fi
