#!/usr/bin/env bash
# make bench: the hot paths of ARCHITECTURE.md's budget, measured with wrk (64 connections) against a
# Release build on the local cluster of `make run` (its own databases), and in the same run the references
# they are judged against, on the same cluster and cores:
#   - pgbench: the bare rotation transaction (UPDATE one row by primary key + INSERT one row) and a bare UPDATE
#   - Kestrel answering a constant small JSON (bench/ConstantJson)
#   - Kestrel answering each POST with a new cookie and an ES256 access token, no database (bench/SignedToken)
#   - the peer: ASP.NET Core Identity's MapIdentityApi on EF Core + Npgsql (bench/PeerIdentity)
#   - the published build's cold start to /readyz and idle RSS (scripts/bench-start.sh)
# Absolute figures vary from machine to machine; the ratios at the end are what the goals are stated in. Refresh's two
# references (pgbench's rotation, bench/SignedToken) are measured in halves before and after it, so drift cancels.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
./scripts/pg-local.sh start >/dev/null
port=${BENCH_PORT:-8091}
peer_port=$((port + 1))
constant_port=$((port + 2))
pg_port=${AUTH_DEV_PG_PORT:-54329}
duration=${BENCH_DURATION:-10s}
seconds=${duration%s}
api="http://127.0.0.1:$port"
peer="http://127.0.0.1:$peer_port"
work="$root/.data/bench"
# wrk threads for the refresh chains; scripts/bench/token-pool.lua splits the chains among them by the same number.
export BENCH_THREADS=2
mkdir -p "$work"
pids=(); trap_logs=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "${trap_logs[@]}"' EXIT

psql_() { runuser -u postgres -- psql -h 127.0.0.1 -p "$pg_port" -U postgres "$@" 2>/dev/null || psql -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
fresh_db() { psql_ -qc "DROP DATABASE IF EXISTS $1" >/dev/null; psql_ -qc "CREATE DATABASE $1" >/dev/null; }
wait_ready() { for _ in $(seq 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "not ready: $1" >&2; return 1; }

# wrk's figures: requests per second, those answered 2xx per second, and the 99th percentile in ms.
declare -A rps ok_rps p99
bench() { # name, then wrk's arguments
  local name=$1; shift
  local out; out=$(wrk --latency "$@")
  echo "$out" | grep -E 'Requests/sec|Latency  |99%|Non-2xx|Socket'
  rps[$name]=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  ok_rps[$name]=$(echo "$out" | awk -v rps="${rps[$name]}" '/ requests in / { total = $1 } /Non-2xx/ { bad = $NF } END { printf "%.0f", (total > 0 ? rps * (total - bad) / total : 0) }')
  p99[$name]=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }')
}
# CPU time (user + system, in clock ticks) the given processes have used so far: what a path costs each of them.
cpu_ticks() { local total=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$total"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

fresh_db auth_bench
fresh_db auth_bench_peer
fresh_db auth_bench_reference
fresh_db auth_bench_start
dotnet publish services/auth-service -c Release -o "$work/bin" --nologo -v quiet >/dev/null
dotnet publish bench/PeerIdentity -c Release -o "$work/peer" --nologo -v quiet >/dev/null
dotnet publish bench/ConstantJson -c Release -o "$work/constant" --nologo -v quiet >/dev/null
dotnet publish bench/SignedToken -c Release -o "$work/signed" --nologo -v quiet >/dev/null
connection="Host=127.0.0.1;Port=$pg_port;Username=postgres;Maximum Pool Size=64"

# --- pgbench references, 64 clients on the same cluster
psql_ -q -d auth_bench_reference -f scripts/bench/reference-schema.sql >/dev/null
pgbench_run() { # name, script, seconds[, log dir]: rps[name] (transactions per second) and p99[name] (ms, from pgbench's
  # per-transaction log). With a log dir, p99 covers every run logged there so far (the halves around refresh below).
  local name=$1 script=$2 secs=$3 logs=${4:-} out
  [ -n "$logs" ] || { logs=$(mktemp -d); trap_logs+=("$logs"); }
  chmod 777 "$logs"
  local args=(-h 127.0.0.1 -p "$pg_port" -U postgres -n -M prepared -c 64 -j 2 -T "$secs" -f "$script" -l --log-prefix="$logs/tx.$RANDOM" auth_bench_reference)
  out=$(runuser -u postgres -- pgbench "${args[@]}" 2>&1 || pgbench "${args[@]}")
  rps[$name]=$(echo "$out" | awk '/^tps = / { printf "%.0f", $3 }')
  p99[$name]=$(cat "$logs"/tx.* | awk '{ print $3 / 1000 }' | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.99)] }')
  echo "tps ${rps[$name]}, p99 ${p99[$name]} ms"
}
mean_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (a + b) / 2 }'; }

# --- auth-service, configured as in production (no developer pages, no dev mailbox, secure cookie), but for the
# rate limits: one client on loopback would meet them at once.
ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning RateLimits__Enabled=false \
  Auth__Issuer="$api" Auth__KeyEncryptionKey="$(printf 'bench key-encryption key 32 byte' | base64)" \
  ConnectionStrings__Postgres="$connection;Database=auth_bench" \
  "$work/bin/AuthService" --contentRoot "$work/bin" --urls "$api" >"$work/service.log" 2>&1 &
service=$!; pids+=("$service")
wait_ready "$api/readyz"

email="bench-$RANDOM@example.com"; password="a benchmark passphrase 2024"
curl -fs "$api/auth/signup" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" >/dev/null
# Production has no mailbox to read the verification link from: the account is verified in the database.
psql_ -d auth_bench -qc "UPDATE users SET email_verified_at = now() WHERE email = '$email'" >/dev/null
export BENCH_COOKIE=__Secure-refresh_token

: >"$work/warmup-tokens"; : >"$work/tokens"
for i in $(seq 128); do
  out="$work/tokens"; [ "$i" -le 64 ] && out="$work/warmup-tokens"
  curl -fs -D - -o "$work/signin.json" "$api/auth/signin" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | grep -io "$BENCH_COOKIE=[^;]*" | cut -d= -f2 >>"$out"
done
access=$(sed -E 's/.*"accessToken":"([^"]+)".*/\1/' "$work/signin.json")

# Warm-up (JIT tiers, connection pool, prepared statements); not reported.
BENCH_TOKENS="$work/warmup-tokens" wrk -t"$BENCH_THREADS" -c64 -d3s -s scripts/bench/refresh.lua "$api/auth/refresh" >/dev/null
BENCH_ACCESS_TOKEN="$access" wrk -t2 -c64 -d3s -s scripts/bench/bearer.lua "$api/auth/me" >/dev/null
wrk -t2 -c64 -d3s "$api/.well-known/jwks.json" >/dev/null

# Refresh's two references run in halves on either side of it (pgbench, SignedToken, refresh, SignedToken, pgbench):
# the machine's speed drifts by a third over minutes here, and a drift that is steady over the five cancels out of
# the ratios. SignedToken is Kestrel signing an access token per POST: refresh's answer without its database.
signed_port=$((port + 3))
"$work/signed/SignedToken" --urls "http://127.0.0.1:$signed_port" >"$work/signed.log" 2>&1 &
signed=$!; pids+=("$signed")
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$signed_port/" && break; sleep 0.1; done
seq -f 'chain-%g' 64 >"$work/signed-tokens"
BENCH_TOKENS="$work/signed-tokens" wrk -t"$BENCH_THREADS" -c64 -d3s -s scripts/bench/refresh.lua "http://127.0.0.1:$signed_port/auth/refresh" >/dev/null
half=$(( (seconds + 1) / 2 ))
rotation_logs=$(mktemp -d); trap_logs+=("$rotation_logs")
signed_half() { # name
  BENCH_TOKENS="$work/signed-tokens" bench "$1" -t"$BENCH_THREADS" -c64 -d"${half}s" -s scripts/bench/refresh.lua "http://127.0.0.1:$signed_port/auth/refresh"
}
echo "== pgbench: UPDATE by primary key + INSERT, one statement (one round trip, one durable commit), first half"
pgbench_run pg_rotation_a scripts/bench/rotation.sql "$half" "$rotation_logs"
echo "== Kestrel, a new cookie and an ES256 access token per POST (no database), first half"
signed_half signed_a

echo "== POST /auth/refresh (64 sessions on 64 connections, each presenting its newest cookie)"
cpu_before=$(cpu_ticks "$service"); pg_before=$(cpu_ticks $(pgrep -u postgres postgres || true))
BENCH_TOKENS="$work/tokens" bench refresh -t"$BENCH_THREADS" -c64 -d"$duration" -s scripts/bench/refresh.lua "$api/auth/refresh"
cpu_after=$(cpu_ticks "$service"); pg_after=$(cpu_ticks $(pgrep -u postgres postgres || true))
awk -v s=$((cpu_after - cpu_before)) -v p=$((pg_after - pg_before)) -v n="${rps[refresh]}" -v secs="$seconds" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { printf "CPU per refresh: service %.0f us, PostgreSQL %.0f us\n", s * 1e6 / hz / (n * secs), p * 1e6 / hz / (n * secs) }'
echo "== Kestrel, a new cookie and an ES256 access token per POST (no database), second half"
signed_half signed_b
kill "$signed"
echo "== pgbench: UPDATE by primary key + INSERT, second half"
pgbench_run pg_rotation_b scripts/bench/rotation.sql "$half" "$rotation_logs"
rps[pg_rotation]=$(mean_of "${rps[pg_rotation_a]}" "${rps[pg_rotation_b]}"); p99[pg_rotation]=${p99[pg_rotation_b]}
rps[signed]=$(mean_of "${rps[signed_a]}" "${rps[signed_b]}"); ok_rps[signed]=$(mean_of "${ok_rps[signed_a]}" "${ok_rps[signed_b]}")
echo "pgbench UPDATE + INSERT: tps ${rps[pg_rotation]} (mean of the halves), p99 ${p99[pg_rotation]} ms; SignedToken ${rps[signed]}/s"

echo "== GET /auth/me"
BENCH_ACCESS_TOKEN="$access" bench me -t2 -c64 -d"$duration" -s scripts/bench/bearer.lua "$api/auth/me"
echo "== GET /.well-known/jwks.json"
bench jwks -t2 -c64 -d"$duration" "$api/.well-known/jwks.json"
echo "== POST /auth/signin (Argon2id t=2 m=19MiB, one account)"
BENCH_EMAIL="$email" BENCH_PASSWORD="$password" bench signin -t2 -c64 -d"$duration" -s scripts/bench/signin.lua "$api/auth/signin"
kill "$service"; wait "$service" 2>/dev/null || true

echo "== pgbench: UPDATE by primary key"
pgbench_run pg_update scripts/bench/update.sql "$seconds"

# --- Kestrel answering a constant small JSON
dotnet "$work/constant/ConstantJson.dll" --urls "http://127.0.0.1:$constant_port" >"$work/constant.log" 2>&1 &
pids+=("$!")
wait_ready "http://127.0.0.1:$constant_port/"
wrk -t2 -c64 -d3s "http://127.0.0.1:$constant_port/" >/dev/null
echo "== Kestrel, a constant small JSON"
bench constant -t2 -c64 -d"$duration" "http://127.0.0.1:$constant_port/"
kill "${pids[-1]}"

# --- the peer: ASP.NET Core Identity's API endpoints
Logging__LogLevel__Default=Warning ConnectionStrings__Postgres="$connection;Database=auth_bench_peer" \
  dotnet "$work/peer/PeerIdentity.dll" --urls "$peer" >"$work/peer.log" 2>&1 &
pids+=("$!")
# GET /login answers 405 once the peer listens (curl -f would call that a failure): wait for any answer.
for _ in $(seq 300); do curl -s -o /dev/null "$peer/login" && break; sleep 0.1; done
peer_password="Bench-passw0rd!"
curl -fs "$peer/register" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$peer_password\"}" >/dev/null
: >"$work/peer-warmup-tokens"; : >"$work/peer-tokens"
for i in $(seq 128); do
  out="$work/peer-tokens"; [ "$i" -le 64 ] && out="$work/peer-warmup-tokens"
  curl -fs "$peer/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$peer_password\"}" >"$work/peer-login.json"
  grep -o '"refreshToken":"[^"]*"' "$work/peer-login.json" | cut -d'"' -f4 >>"$out"
done
peer_access=$(sed -E 's/.*"accessToken":"([^"]+)".*/\1/' "$work/peer-login.json")
BENCH_TOKENS="$work/peer-warmup-tokens" wrk -t"$BENCH_THREADS" -c64 -d3s -s scripts/bench/peer-refresh.lua "$peer/refresh" >/dev/null
BENCH_ACCESS_TOKEN="$peer_access" wrk -t2 -c64 -d3s -s scripts/bench/bearer.lua "$peer/manage/info" >/dev/null
echo "== peer: POST /refresh (Identity bearer tokens)"
BENCH_TOKENS="$work/peer-tokens" bench peer_refresh -t"$BENCH_THREADS" -c64 -d"$duration" -s scripts/bench/peer-refresh.lua "$peer/refresh"
echo "== peer: GET /manage/info"
BENCH_ACCESS_TOKEN="$peer_access" bench peer_me -t2 -c64 -d"$duration" -s scripts/bench/bearer.lua "$peer/manage/info"
kill "${pids[-1]}"

# --- start and memory of the published build
echo "== cold start to /readyz and idle RSS (published build, migrated database)"
start_out=$(BENCH_PORT=$port ./scripts/bench-start.sh "$work/bin" "$connection;Database=auth_bench_start" "$work/constant")
echo "$start_out"
start_ms=$(echo "$start_out" | awk '/^start_ms/ { print $2 }')
rss_mib=$(echo "$start_out" | awk '/^rss_mib/ { print $2 }')
start_cpu_ms=$(echo "$start_out" | awk '/^start_cpu_ms/ { print $2 }')
floor_start_ms=$(echo "$start_out" | awk '/^floor_start_ms/ { print $2 }')
floor_rss_mib=$(echo "$start_out" | awk '/^floor_rss_mib/ { print $2 }')

echo
echo "== summary (64 connections; ratios within this run)"
printf '%-26s %10s %9s   %-34s %10s %7s\n' "path" "req/s" "p99 ms" "reference" "ref req/s" "ratio"
# Answers per second that were 2xx where wrk measured them (a refused request is no answer), else pgbench's rate.
answered() { echo "${ok_rps[$1]:-${rps[$1]}}"; }
row() { printf '%-26s %10.0f %9s   %-34s %10.0f %7s\n' "$1" "$(answered "$2")" "${p99[$2]:--}" "$3" "$(answered "$4")" "$(ratio "$(answered "$2")" "$(answered "$4")")"; }
row "POST /auth/refresh" refresh "pgbench UPDATE + INSERT" pg_rotation
row "POST /auth/refresh" refresh "Kestrel + ES256 token, no database" signed
row "POST /auth/refresh" refresh "peer POST /refresh" peer_refresh
row "GET /auth/me" me "peer GET /manage/info" peer_me
row "GET /.well-known/jwks.json" jwks "Kestrel constant JSON" constant
printf '%-26s %10.0f %9s   %-34s\n' "POST /auth/signin" "${ok_rps[signin]}" "${p99[signin]}" "(answered 200; the Argon2id ceiling)"
printf '%-26s %10s %9s   %-34s\n' "pgbench UPDATE + INSERT" "${rps[pg_rotation]}" "${p99[pg_rotation]}" "(the reference's own tail)"
printf '%-26s %10s %9s   %-34s\n' "pgbench UPDATE by pk" "${rps[pg_update]}" "${p99[pg_update]}" ""
printf '%-26s %10s ms   (goal 500; CPU %s ms)   %-22s %10s ms %7s\n' "cold start to /readyz" "$start_ms" "$start_cpu_ms" "Kestrel constant JSON" "$floor_start_ms" "$(ratio "$start_ms" "$floor_start_ms")"
printf '%-26s %10s MiB  (goal 80)                %-22s %10s MiB %6s\n' "idle RSS" "$rss_mib" "Kestrel constant JSON" "$floor_rss_mib" "$(ratio "$rss_mib" "$floor_rss_mib")"
