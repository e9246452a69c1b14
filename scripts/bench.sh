#!/usr/bin/env bash
# make bench: the hot paths of ARCHITECTURE.md's budget, measured with wrk (64 connections)
# against a Release build on the local cluster of `make run` (its own database, auth_bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
./scripts/pg-local.sh start >/dev/null
port=${BENCH_PORT:-8091}
pg_port=${AUTH_DEV_PG_PORT:-54329}
duration=${BENCH_DURATION:-10s}
api="http://127.0.0.1:$port"
work="$root/.data/bench"
mkdir -p "$work"

runuser -u postgres -- psql -h 127.0.0.1 -p $pg_port -U postgres -qc "DROP DATABASE IF EXISTS auth_bench" >/dev/null 2>&1 \
  || psql -h 127.0.0.1 -p $pg_port -U postgres -qc "DROP DATABASE IF EXISTS auth_bench" >/dev/null
(runuser -u postgres -- createdb -h 127.0.0.1 -p $pg_port -U postgres auth_bench 2>/dev/null) \
  || createdb -h 127.0.0.1 -p $pg_port -U postgres auth_bench

dotnet publish services/auth-service -c Release -o "$work/bin" --nologo -v quiet >/dev/null
ASPNETCORE_ENVIRONMENT=Development Logging__LogLevel__Default=Warning RateLimits__Enabled=false \
  ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=auth_bench;Maximum Pool Size=64" \
  dotnet "$work/bin/AuthService.dll" --contentRoot "$work/bin" --urls "$api" >"$work/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$api/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

email="bench-$RANDOM@example.com"; password="a benchmark passphrase 2024"
curl -fs "$api/auth/signup" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" >/dev/null
token=$(curl -fs "$api/dev/emails?to=$email" | grep -o 'verify-email?token=[A-Za-z0-9_-]*' | head -1 | cut -d= -f2)
curl -fs "$api/auth/verify-email" -H 'Content-Type: application/json' -d "{\"token\":\"$token\"}" >/dev/null

: >"$work/warmup-tokens"; : >"$work/tokens"
for i in $(seq 128); do
  out="$work/tokens"; [ "$i" -le 64 ] && out="$work/warmup-tokens"
  curl -fs -D - -o "$work/signin.json" "$api/auth/signin" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | grep -io 'refresh_token=[^;]*' | cut -d= -f2 >>"$out"
done
access=$(sed -E 's/.*"accessToken":"([^"]+)".*/\1/' "$work/signin.json")

# Warm-up (JIT tiers, connection pool, prepared statements); not reported.
BENCH_TOKENS="$work/warmup-tokens" wrk -t64 -c64 -d3s -s scripts/bench/refresh.lua "$api/auth/refresh" >/dev/null
BENCH_ACCESS_TOKEN="$access" wrk -t2 -c64 -d3s -s scripts/bench/bearer.lua "$api/auth/me" >/dev/null
wrk -t2 -c64 -d3s "$api/.well-known/jwks.json" >/dev/null

echo "== POST /auth/refresh (64 sessions, one connection each)"
BENCH_TOKENS="$work/tokens" wrk -t64 -c64 -d"$duration" --latency -s scripts/bench/refresh.lua "$api/auth/refresh" | grep -E 'Requests/sec|Latency|99%|Non-2xx|Socket'
echo "== GET /auth/me"
BENCH_ACCESS_TOKEN="$access" wrk -t2 -c64 -d"$duration" --latency -s scripts/bench/bearer.lua "$api/auth/me" | grep -E 'Requests/sec|Latency|99%|Non-2xx|Socket'
echo "== GET /.well-known/jwks.json"
wrk -t2 -c64 -d"$duration" --latency "$api/.well-known/jwks.json" | grep -E 'Requests/sec|Latency|99%|Non-2xx|Socket'
echo "== POST /auth/signin (Argon2id t=2 m=19MiB, one account)"
BENCH_EMAIL="$email" BENCH_PASSWORD="$password" wrk -t2 -c64 -d"$duration" --latency -s scripts/bench/signin.lua "$api/auth/signin" | grep -E 'Requests/sec|Latency|99%|Non-2xx|Socket'
