#!/usr/bin/env bash
# Stop the test servers start.sh started (only those: found by their pid files and state folder).
# Idempotent. Usage: stop.sh [ceph] [azurite]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${LAGOMAGO_SERVERS_DIR:-/tmp/lagomago-servers}"
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(ceph azurite)

# TERM every server named by the pid files given, wait up to 5 s for all, then KILL what is left.
stop_pids() {
  local f pid pids=()
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    # Only our servers: a stale pid file may name a process that reused the number.
    if kill -0 "$pid" 2>/dev/null && grep -qaE 'ceph|radosgw|azurite' "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
    rm -f "$f"
  done
  for _ in $(seq 1 20); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && return 0
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  return 0
}

for w in "${want[@]}"; do
  case "$w" in
    ceph)
      # Ceph daemons write their pid files into the run dir of our config.
      stop_pids "$STATE"/ceph/run/*.pid
      rm -f "$STATE/ceph/ready" ;;
    azurite) stop_pids "$STATE/azurite/pid" ;;
  esac
done
rm -f "$REPO/.tmp/servers.env"
