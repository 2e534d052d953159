#!/usr/bin/env bash
# Makes the Debian tree that test/deploy/systemd-boot.test.ts boots with systemd-nspawn (systemd as
# PID 1), unless it is there: debootstrap's minimal Debian 12 with systemd, from Debian's mirror
# (about 90 s and 240 MB). Usage: .ci/nspawn-tree.sh [DIR] (default /var/tmp/tcpping-nspawn/bookworm).
set -euo pipefail
dir="${1:-${TCPPING_NSPAWN_ROOT:-/var/tmp/tcpping-nspawn/bookworm}}"
if [ -x "$dir/lib/systemd/systemd" ]; then exit 0; fi
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
[ -n "$mirror" ] || mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
rm -rf "$dir.partial"
mkdir -p "$(dirname "$dir")"
start=$(date +%s)
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$dir.partial" "${mirror:-http://deb.debian.org/debian}" >/dev/null
mv "$dir.partial" "$dir"
echo "nspawn-tree: $dir made in $(( $(date +%s) - start )) s"
