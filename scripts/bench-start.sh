#!/usr/bin/env bash
# Cold start and idle memory of the published build (part of make bench):
#   bench-start.sh <publish dir> <connection string of a migrated database>
# A first start migrates the database and creates its keys (not counted); then five starts, each timed from the process's start to the first 200 from /readyz (polled every 10 ms),
# then the process idles 5 s and its resident set (VmRSS) is read. Prints every run, then the medians as
# "start_ms N" and "rss_mib N".
set -euo pipefail
bin=$(cd "$1" && pwd)
connection=$2
port=${BENCH_PORT:-8091}
runs=${BENCH_START_RUNS:-5}
starts=(); rss=()
for run in $(seq 0 "$runs"); do
  t0=$(date +%s%N)
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Auth__Issuer="http://127.0.0.1:$port" \
    Auth__KeyEncryptionKey="$(printf 'bench key-encryption key 32 byte' | base64)" \
    ConnectionStrings__Postgres="$connection" \
    dotnet "$bin/AuthService.dll" --contentRoot "$bin" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the service exited before it was ready" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  sleep 5
  kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  ms=$(( (t1 - t0) / 1000000 ))
  if [ "$run" = 0 ]; then echo "first start, migrating the database: ${ms} ms (not counted)"; continue; fi
  starts+=("$ms"); rss+=("$((kb / 1024))")
  echo "start ${ms} ms, idle RSS $((kb / 1024)) MiB"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "start_ms $(median "${starts[@]}")"
echo "rss_mib $(median "${rss[@]}")"
