#!/bin/bash
# Makes the busybox image fixture (a docker-archive for `jinn load`) from the
# busybox rootfs of hack/mkrootfs-busybox.sh; cached: remade only if missing.
# Usage: hack/mkimage-busybox.sh [OUT.tar]   (default $JINN_FIXTURES/images/busybox.tar)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
out=${1:-$fx/images/busybox.tar}
# Cached: remade when missing or when these scripts change.
stamp=$(cat "$0" "$here/mkimage.sh" | sha256sum | cut -c1-16)
[ -s "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ] && exit 0
mkdir -p "$(dirname "$out")"
[ -x "$fx/busybox/bin/busybox" ] || "$here/mkrootfs-busybox.sh" "$fx/busybox"
"$here/mkimage.sh" "$fx/busybox" busybox:latest "$out" '["sh"]'
echo "$stamp" >"$out.stamp"
