#!/usr/bin/env bash
# Cold start and idle memory of the published build (part of make bench):
#   bench-start.sh <publish dir> <connection string of a migrated database> [<ConstantJson publish dir>]
# A first start migrates the database and creates its keys (not counted); then five starts, each timed from the process's start to the first 200 from /readyz (polled every 2 ms),
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
exec 9<> <(:)

# answers_200 <path>: one GET to the port under test over bash's own /dev/tcp, true on a 200. Polling starts
# no process (a curl per poll cost tens of milliseconds of the two cores here, and lateness in what it measured).
answers_200() {
  local status
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  IFS= read -r -t 5 status <&3 || status=
  exec 3<&-
  [[ $status == "HTTP/1.1 200"* ]]
}

# now_us: the wall clock in microseconds, without starting a process.
now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }

# measure <path> <command…>: prints "ms cpu_ms rss_mib" of one start (wall to the first 200 from path, idle RSS after 5 s).
measure() {
  local path=$1; shift
  local t0 t1 pid cpu kb
  t0=$(now_us)
  "$@" >/dev/null 2>&1 &
  pid=$!
  until answers_200 "$path"; do
    kill -0 "$pid" 2>/dev/null || { echo "$* exited before it was ready" >&2; exit 1; }
    read -r -t 0.002 -u 9 || true # a 2 ms pause without a process: fd 9 is a pipe nobody writes to
  done
  t1=$(now_us)
  cpu=$(awk -v hz="$ticks" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$pid/stat")
  sleep 5
  kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (t1 - t0) / 1000 )) $cpu $((kb / 1024))"
}

for run in $(seq 0 "$runs"); do
  if [ -n "$floor" ] && [ "$run" != 0 ]; then
    read -r ms _ mib < <(measure / dotnet "$floor/ConstantJson.dll" --urls "http://127.0.0.1:$port")
    floor_starts+=("$ms"); floor_rss+=("$mib")
    echo "floor (ConstantJson): start ${ms} ms, idle RSS ${mib} MiB"
  fi
  read -r ms cpu mib < <(measure /readyz env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
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
