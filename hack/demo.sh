#!/usr/bin/env bash
# The demo (`make demo`): make the local busybox image, load it, and run a
# container that shows its isolation: its own hostname, PID 1, its own
# mounts, its memory limit and its own network devices. Then the seed's
# story: a memory hog under --memory 64m is OOM-killed alone.
# JINN_RUNTIME picks the OCI runtime (default: jinn-runtime next to jinn).
set -euo pipefail
cd "$(dirname "$0")/.."
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
jinn=(bin/jinn)
[ -n "${JINN_RUNTIME:-}" ] && jinn+=(--runtime "$JINN_RUNTIME")

hack/mkimage-busybox.sh "$fx/images/busybox.tar"
"${jinn[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null

echo "== the host: hostname $(hostname), this shell is pid $$, $(wc -l </proc/mounts) mounts"
echo "== jinn run --rm --hostname demo --memory 64m busybox ..."
"${jinn[@]}" run --rm --hostname demo --memory 64m busybox sh -c '
	echo "hostname:      $(hostname)"
	echo "my pid:        $$"
	echo "processes:"; ps -o pid,user,comm
	echo "mounts:"; sed "s/^/  /" /proc/mounts
	if [ -r /sys/fs/cgroup/memory.max ]; then l=$(cat /sys/fs/cgroup/memory.max)
	else l=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); fi
	case $l in max|9223372036854*) echo "memory limit:  none";;
	*) echo "memory limit:  $l bytes ($((l / 1048576)) MiB)";; esac
	echo "network:       $(ls /sys/class/net | xargs)"'

echo "== a neighbour, and a memory hog under --memory 64m"
name=demo-neighbour-$$
hog=demo-hog-$$
"${jinn[@]}" run -d --name "$name" busybox sleep 600 >/dev/null
"${jinn[@]}" run --name "$hog" --memory 64m busybox tail /dev/zero || echo "hog exited with $?"
"${jinn[@]}" ps -a --filter "name=demo-" --format 'table {{.Names}}\t{{.Status}}'
echo "hog OOMKilled: $("${jinn[@]}" inspect -f '{{.State.OOMKilled}}' "$hog")"
"${jinn[@]}" rm -f "$name" "$hog" >/dev/null
