#!/usr/bin/env bash
# Install the Debian packages the object-store tests need (Ceph RGW for S3, Chromium for the browser
# test). Idempotent and quick when everything is present. Usage: install.sh [ceph] [chromium]
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(ceph chromium)
pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    ceph) command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null \
            || pkgs+=(radosgw ceph-mon ceph-osd) ;;
    chromium) [ -x /usr/bin/chromium ] || pkgs+=(chromium) ;;
    *) echo "install.sh: unknown component $w" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null || pkgs+=(curl)
[ ${#pkgs[@]} -eq 0 ] && exit 0
echo "installing ${pkgs[*]} (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/tmp/lagomago-apt.log 2>&1 \
  || { tail -30 /tmp/lagomago-apt.log >&2; exit 1; }
