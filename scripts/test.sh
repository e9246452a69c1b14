#!/usr/bin/env bash
# `make test`: the whole suite, containers included when a Docker engine can run.
# 1. scripts/docker-engine.sh start (a running engine is used; in CI one is installed and started, and
#    stopped again at the end). 2. With an engine: the base images (scripts/container-images.sh, which
#    builds labelled stand-ins where no registry is reachable) and the service image (`make image`).
#    The PublishedBuild tests then run the image's own executable, copied out of it: the artifact that ships,
#    compiled once (a Native AOT compile takes minutes). Without an engine, or when that executable cannot run
#    on this machine (built against a newer C library than this one has), `make publish` compiles it here.
# 3. dotnet test, with the published build in AUTH_TEST_PUBLISH_DIR for the PublishedBuild tests.
set -euo pipefail
cd "$(dirname "$0")/.."
trap './scripts/docker-engine.sh stop' EXIT
SECONDS=0
publish=artifacts/publish

# published_from_image: the service image's /app into $publish, and the AOT compiler's response file (the runtime
# settings compiled in, read by RuntimeConfigurationTests) from its build stage, which `make image` left cached.
published_from_image() {
  local id rsp
  id=$(docker create auth-service:latest) || return 1
  rm -rf "$publish" && mkdir -p "$publish"
  docker cp "$id:/app/." "$publish/" && docker rm "$id" >/dev/null || { docker rm "$id" >/dev/null; return 1; }
  docker build -q --target build -f services/auth-service/Dockerfile -t auth-service-build:latest . >/dev/null || return 1
  rsp=$(docker run --rm --entrypoint sh auth-service-build:latest -c 'cat /src/services/auth-service/obj/Release/net10.0/*/native/AuthService.ilc.rsp') || return 1
  printf '%s\n' "$rsp" > "$publish/AuthService.ilc.rsp"
  touch -r "$publish/AuthService" "$publish/AuthService.ilc.rsp"
  ! ldd "$publish/AuthService" 2>&1 | grep -q "not found"
}

./scripts/docker-engine.sh start
if docker info >/dev/null 2>&1; then
  make --no-print-directory image   # base images first (stand-ins where none can be pulled), then the service
  published_from_image && echo "PublishedBuild tests: the image's executable" >&2 \
    || { echo "PublishedBuild tests: the image's executable does not run here; publishing on this machine" >&2; make --no-print-directory publish; }
else
  make --no-print-directory publish
fi
containers_setup=$SECONDS
# The full suite on the local cluster; PostgresSourceSmokeTests runs the container path (and the Container
# tests run PostgreSQL containers of their own). Under heavy load the container path answered a few parallel
# refreshes with 503s that the local path never has; until that is understood, CI keeps the proven path.
export AUTH_TEST_POSTGRES="${AUTH_TEST_POSTGRES:-local}"
# The run's log is kept, and its failures are printed again at the end: a CI log is often read from its tail.
mkdir -p artifacts
log=artifacts/test.log
report=artifacts/container-report.txt   # written by the Container tests: image size and cold start
rm -f "$report"
status=0
AUTH_TEST_PUBLISH_DIR="$PWD/$publish" dotnet test services/auth-service.Tests --no-restore \
  --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
if [ -f "$report" ]; then
  echo "=== the service image ==="
  cat "$report"
  echo "engine start, images and the published build (make image): ${containers_setup} s"
fi
if [ "$status" -ne 0 ]; then
  # Short enough to survive in a log's tail: each failure's name, its message (8 lines) and the test's own frame.
  echo "=== failed tests (the whole log is $log) ==="
  awk '/^  Failed / { on = 1; msg = 0; frame = 0; print; next }
       /^  (Passed|Skipped) |^\[xUnit|^Test Run/ { on = 0 }
       !on { next }
       /^  Error Message:/ { msg = 1; next }
       /^  Stack Trace:/ { msg = 0; next }
       msg && msg++ <= 8 { print; next }
       /AuthService\.Tests.* in .*:line / && !frame++ { print }' "$log"
fi
exit "$status"
