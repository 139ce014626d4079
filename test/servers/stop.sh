#!/usr/bin/env bash
# Stop the test servers start.sh started (only those: found by their pid files and state folder).
# Idempotent. Usage: stop.sh [ceph] [azurite]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${LAGOMAGO_SERVERS_DIR:-/tmp/lagomago-servers}"
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(ceph azurite)

stop_pid() { # pid file
  local pid
  [ -f "$1" ] || return 0
  pid="$(cat "$1")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$1"
}

for w in "${want[@]}"; do
  case "$w" in
    ceph)
      # Ceph daemons write their pid files into the run dir of our config.
      for f in "$STATE"/ceph/run/*.pid; do [ -e "$f" ] && stop_pid "$f"; done
      rm -f "$STATE/ceph/ready" ;;
    azurite) stop_pid "$STATE/azurite/pid" ;;
  esac
done
rm -f "$REPO/.tmp/servers.env"
