#!/usr/bin/env bash
# Start the object-store test servers on 127.0.0.1 and write their endpoints to .tmp/servers.env
# (read by test/cloud/*): Ceph RADOS Gateway (S3, :7480) on a one-node memstore cluster, and Azurite
# (Azure Blob, :10000). Idempotent: servers already answering are reused (a second call takes well
# under a second). Installs the Debian packages when missing. Usage: start.sh [ceph] [azurite]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${LAGOMAGO_SERVERS_DIR:-/tmp/lagomago-servers}"
ENV_FILE="$REPO/.tmp/servers.env"
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(ceph azurite)
mkdir -p "$STATE" "$REPO/.tmp"

S3_PORT=7480
S3_KEY=lagomagotestkey
S3_SECRET=lagomagotestsecret0000000000000000000000
AZ_PORT=10000

http_up() { curl -s -o /dev/null -m 2 "$1"; }

# Wait up to $2 seconds for command $1; on timeout print the log $3 and fail.
wait_for() {
  local what="$1" secs="$2" log="$3" i
  for ((i = 0; i < secs * 4; i++)); do
    if eval "$what" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  echo "start.sh: timed out after ${secs}s waiting for: $what" >&2
  [ -n "$log" ] && for f in $log; do [ -f "$f" ] && { echo "--- $f (last 40 lines)" >&2; tail -40 "$f" >&2; }; done
  return 1
}

start_ceph() {
  "$HERE/install.sh" ceph
  local d="$STATE/ceph" conf="$STATE/ceph/ceph.conf"
  if http_up "http://127.0.0.1:$S3_PORT/" && [ -f "$d/ready" ]; then return 0; fi
  "$HERE/stop.sh" ceph >/dev/null 2>&1 || true
  rm -rf "$d"
  mkdir -p "$d/mon" "$d/osd0" "$d/run" "$d/log" "$d/rgw"
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:3300
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $d/run
log file = $d/log/\$name.log
admin socket = $d/run/\$name.asok
pid file = $d/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
osd op num shards = 1
osd op num threads per shard = 2
[mon.a]
mon data = $d/mon
[osd.0]
osd data = $d/osd0
[client.rgw.a]
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT
rgw data = $d/rgw
rgw dns name = 127.0.0.1
rgw thread pool size = 64
CONF
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:3300]" "$d/monmap" >"$d/log/setup.log" 2>&1
  ceph-authtool --create-keyring "$d/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >>"$d/log/setup.log" 2>&1
  ceph-mon -c "$conf" --mkfs -i a --monmap "$d/monmap" --keyring "$d/mon.keyring" >>"$d/log/setup.log" 2>&1
  ceph-mon -c "$conf" -i a >>"$d/log/setup.log" 2>&1
  wait_for "timeout 5 ceph -c '$conf' mon stat" 30 "$d/log/setup.log $d/log/mon.a.log"
  local uuid
  uuid="$(cat /proc/sys/kernel/random/uuid)"
  timeout 20 ceph -c "$conf" osd new "$uuid" 0 >>"$d/log/setup.log" 2>&1
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" >>"$d/log/setup.log" 2>&1
  ceph-osd -c "$conf" -i 0 >>"$d/log/setup.log" 2>&1
  wait_for "timeout 5 ceph -c '$conf' osd stat | grep -q '1 up'" 60 "$d/log/setup.log $d/log/osd.0.log"
  radosgw -c "$conf" -n client.rgw.a >>"$d/log/setup.log" 2>&1
  wait_for "http_up http://127.0.0.1:$S3_PORT/" 90 "$d/log/setup.log $d/log/client.rgw.a.log"
  timeout 60 radosgw-admin -c "$conf" -n client.rgw.a user create --uid=lagomago --display-name=lagomago \
    --access-key="$S3_KEY" --secret-key="$S3_SECRET" >>"$d/log/setup.log" 2>&1 \
    || { tail -20 "$d/log/setup.log" >&2; return 1; }
  touch "$d/ready"
}

start_azurite() {
  local d="$STATE/azurite"
  if http_up "http://127.0.0.1:$AZ_PORT/devstoreaccount1?comp=list"; then return 0; fi
  local bin="$REPO/node_modules/.bin/azurite-blob"
  [ -x "$bin" ] || { echo "start.sh: $bin missing (run npm ci first)" >&2; return 1; }
  mkdir -p "$d"
  : >"$d/azurite.log"
  setsid nohup "$bin" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --inMemoryPersistence --skipApiVersionCheck \
    --loose --silent >"$d/azurite.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  wait_for "http_up http://127.0.0.1:$AZ_PORT/devstoreaccount1?comp=list" 30 "$d/azurite.log"
}

for w in "${want[@]}"; do
  case "$w" in
    ceph) start_ceph ;;
    azurite) start_azurite ;;
    *) echo "start.sh: unknown server $w" >&2; exit 2 ;;
  esac
done

# Endpoints for the tests (and for a shell: `set -a; . .tmp/servers.env`).
{
  if http_up "http://127.0.0.1:$S3_PORT/"; then
    echo "LAGOMAGO_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
    echo "LAGOMAGO_TEST_S3_ACCESS_KEY_ID=$S3_KEY"
    echo "LAGOMAGO_TEST_S3_SECRET_ACCESS_KEY=$S3_SECRET"
    echo "LAGOMAGO_TEST_S3_REGION=us-east-1"
  fi
  if http_up "http://127.0.0.1:$AZ_PORT/devstoreaccount1?comp=list"; then
    echo "LAGOMAGO_TEST_AZURE_ENDPOINT=http://127.0.0.1:$AZ_PORT/devstoreaccount1"
    echo "LAGOMAGO_TEST_AZURE_ACCOUNT=devstoreaccount1"
  fi
} >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"
cat "$ENV_FILE"
