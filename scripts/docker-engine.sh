#!/usr/bin/env bash
# The Docker engine for the container tests.
#   docker-engine.sh start   use a running engine; with none, and CI=true or AUTH_TEST_START_DOCKER=1,
#                            install Debian's docker.io (and docker-compose, debootstrap) and start dockerd,
#                            recording that this script started it. Otherwise say the container tests
#                            will be skipped, and succeed.
#   docker-engine.sh stop    stop dockerd if `start` started it; an engine found running is left alone.
# Exit 0 in every case but a failed install or start: the rest of the suite runs without containers.
set -euo pipefail
PIDFILE=/run/auth-service-dockerd.pid
LOG=/tmp/auth-service-dockerd.log

running() { docker info >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if running; then echo "Docker engine: using the running one ($(docker version --format '{{.Server.Version}}'))" >&2; exit 0; fi
    if [ "${CI:-}" != true ] && [ "${AUTH_TEST_START_DOCKER:-}" != 1 ]; then
      echo "Docker engine: none running; the Container tests will be skipped (set AUTH_TEST_START_DOCKER=1 to start one)" >&2
      exit 0
    fi
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    need=()
    [ -x /usr/sbin/dockerd ] || need+=(docker.io)
    command -v docker-compose >/dev/null || need+=(docker-compose)
    command -v debootstrap >/dev/null || need+=(debootstrap)
    if [ ${#need[@]} -gt 0 ]; then
      echo "Installing: ${need[*]}" >&2
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    # The package's own service start is skipped where there is no init system; start dockerd directly.
    running || { $SUDO sh -c "nohup /usr/sbin/dockerd >'$LOG' 2>&1 & echo \$! > '$PIDFILE'"; }
    for _ in $(seq 60); do running && break; sleep 0.5; done
    running || { echo "Docker engine did not start:" >&2; tail -20 "$LOG" >&2; exit 1; }
    echo "Docker engine: started $(docker version --format '{{.Server.Version}}')" >&2
    ;;
  stop)
    [ -f "$PIDFILE" ] || exit 0
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    pid="$(cat "$PIDFILE")"
    $SUDO kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    $SUDO rm -f "$PIDFILE"
    echo "Docker engine: stopped" >&2
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
