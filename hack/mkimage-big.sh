#!/bin/bash
# Makes a ~100 MB image (busybox plus incompressible data in many files) for
# the load/save benchmark; cached.
# Usage: hack/mkimage-big.sh [OUT.tar] [MB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
out=${1:-$fx/images/big.tar}
mb=${2:-100}
# Cached: remade when missing or when these scripts change.
stamp=$(cat "$0" "$here/mkimage.sh" | sha256sum | cut -c1-16)
[ -s "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ] && exit 0
mkdir -p "$(dirname "$out")"
[ -x "$fx/busybox/bin/busybox" ] || "$here/mkrootfs-busybox.sh" "$fx/busybox"
root=$(mktemp -d "$out.rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
cp -a "$fx/busybox/." "$root/"
mkdir -p "$root/data"
for i in $(seq 1 "$mb"); do
	d="$root/data/$((i % 10))"
	mkdir -p "$d"
	head -c 1048576 /dev/urandom >"$d/blob$i"
done
"$here/mkimage.sh" "$root" big:latest "$out" '["sh"]'
echo "$stamp" >"$out.stamp"
