#!/usr/bin/env bash
# Latency of `run --rm busybox true`, interleaved run by run: jinn with
# --network none and with its default bridge, podman 4.3 (runc, cgroupfs,
# --network none), and, with BASE_BIN=DIR, another build of jinn beside
# this one (JINN_BIN, default bin/). Each tool gets its own temporary
# stores. Prints wall and CPU (perf stat task-clock of the whole process
# tree) medians and the ratios to podman. R rounds (default 12).
# jinn-runtime-none is `jinn-runtime run` of the same container: the spec
# jinn made for it (seccomp, masks, mounts, its own network namespace),
# on a copy of the image's root filesystem; its ratio column is jinn's
# over it (the goal: under 2).
# Run roots (jinn's --runroot, podman's --runroot and --tmpdir, the
# runtime's --root) are on a tmpfs of the bench's own, as on a default
# install (/run/jinn, /run/containers, /run/libpod, /run/runc);
# RUNROOT=disk puts them beside the roots on /tmp's file system, as
# rounds before 2026-12-06 22:00 did.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${R:-12}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
# BENCH_DIR (default /tmp) holds the stores: the root's file system is part
# of what is timed (each run makes and removes ~16 inodes on it; ext4
# without a journal, as this VM's root, scans every inode freed in the last
# 30 s on each allocation: BENCHMARKS.md, round 9).
tmp=$(mktemp -d "${BENCH_DIR:-/tmp}/jinn-bench-lat.XXXXXX")
run=$tmp/run
mkdir -p "$run"
[ "${RUNROOT:-tmpfs}" = tmpfs ] && mount -t tmpfs -o size=1g,mode=0700 jinn-bench-run "$run"
new="$(realpath "${JINN_BIN:-bin}")/jinn --root $tmp/jinn/root --runroot $run/jinn"
base=""
[ -n "${BASE_BIN:-}" ] && base="$(realpath "$BASE_BIN")/jinn --root $tmp/base/root --runroot $run/base"
P="podman --root $tmp/podman/root --runroot $run/podman --tmpdir $run/podman-tmp --cgroup-manager cgroupfs --runtime runc"
# podman makes these whatever its --runroot: remove them after if it did.
pre_run=$(ls -d /run/containers /run/containers/networks /run/runc 2>/dev/null || true)
cleanup() {
	set +e
	$new system prune -f >/dev/null 2>&1
	[ -n "$base" ] && $base system prune -f >/dev/null 2>&1
	$P rm -f -a -t 0 >/dev/null 2>&1
	for _ in 1 2; do
		grep -F " $tmp/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
		sleep 0.3
	done
	rmdir /sys/fs/cgroup/*/"$(basename "$tmp")" /sys/fs/cgroup/unified/"$(basename "$tmp")" 2>/dev/null
	rm -rf "$tmp"
	for d in /run/containers/networks /run/containers /run/runc; do
		grep -qx "$d" <<<"$pre_run" || rmdir "$d" 2>/dev/null
	done
}
trap cleanup EXIT
hack/mkimage-busybox.sh "$fx/images/busybox.tar"
$new load -q -i "$fx/images/busybox.tar" >/dev/null
[ -n "$base" ] && $base load -q -i "$fx/images/busybox.tar" >/dev/null
# The runtime floor: jinn's own spec of `run --network none busybox true`,
# run by jinn-runtime directly (bench/enginebundle.sh), its cgroup under a
# parent of the bench's own.
JINN_FIXTURES=$fx bench/enginebundle.sh "$(realpath "${JINN_BIN:-bin}")/jinn" "$tmp/jinn/root" "$run/jinn" \
	"$tmp/rtb" "/$(basename "$tmp")/rt"
rt="$(realpath "${JINN_BIN:-bin}")/jinn-runtime --root $run/rt run -b $tmp/rtb bench-rt"
# PODMAN=0 leaves podman out: its ~250 ms runs between the others' make a
# base-against-after comparison noisier.
have_podman=0
if [ "${PODMAN:-1}" != 0 ] && command -v podman >/dev/null && $P load -q -i "$fx/images/busybox.tar" >/dev/null 2>&1; then have_podman=1; fi
declare -A cmd
order=()
add() { cmd[$1]=$2; order+=("$1"); }
[ -n "$base" ] && add base-none "$base run --rm --network none busybox true"
add jinn-none "$new run --rm --network none busybox true"
[ "$have_podman" = 1 ] && add podman-none "$P run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none busybox true"
[ -n "$base" ] && add base-bridge "$base run --rm busybox true"
add jinn-bridge "$new run --rm busybox true"
add jinn-runtime-none "$rt"
# Each round runs every command twice: alone for its wall time, then
# under perf stat for its CPU. perf stat's counters follow every task of
# the tree (each fork and exec sets them up, each exit folds them in), which
# adds ~10 ms to jinn's six-process run and more to podman's: its wall
# time is shown apart ("under perf"), as rounds before 2026-12-07 05:30
# measured it.
# Two warm-up runs each: jinn serves `run --rm` of a command line from C
# once two Go runs of it left the same plan (README: /run/jinn-cli-plans),
# and perf stat's runs (another PATH) have a plan of their own.
for k in "${order[@]}"; do
	for _ in 1 2; do
		${cmd[$k]} >/dev/null 2>&1
		perf stat -x, -e task-clock -o /dev/null ${cmd[$k]} >/dev/null 2>&1 || true
	done
	: >"$tmp/w.$k"; : >"$tmp/p.$k"; : >"$tmp/c.$k"
done
# podman's --rm returns before its cleanup (conmon's `podman container
# cleanup`, ~100 ms of CPU) is done: whatever ran next would run beside
# it. settle waits (at most 3 s) until no process of podman's stores is
# left. The order also turns by one each round.
settle() {
	[ "$1" = podman-none ] || return 0
	for _ in $(seq 150); do
		pgrep -f -- "--root $tmp/podman/" >/dev/null || return 0
		sleep 0.02
	done
}
n=${#order[@]}
for i in $(seq "$R"); do
	for j in $(seq 0 $((n - 1))); do
		k=${order[$(((i + j) % n))]}
		s=$(date +%s%N)
		${cmd[$k]} >/dev/null 2>"$tmp/err" || { echo "latency: $k failed: $(head -c 300 "$tmp/err")" >&2; exit 1; }
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$tmp/w.$k"
		settle "$k"
		s=$(date +%s%N)
		perf stat -x, -e task-clock -o "$tmp/pst" ${cmd[$k]} >/dev/null 2>"$tmp/err" || { echo "latency: $k under perf stat failed: $(head -c 300 "$tmp/err")" >&2; exit 1; }
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$tmp/p.$k"
		grep task-clock "$tmp/pst" | cut -d, -f1 >>"$tmp/c.$k"
		settle "$k"
	done
done
med() { sort -n "$1" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "| run --rm busybox true ($R rounds, interleaved) | wall median ms | CPU median ms | wall / podman | wall under perf stat, ms | / podman |"
echo "| --- | --- | --- | --- | --- | --- |"
pn="" pp=""
[ "$have_podman" = 1 ] && pn=$(med "$tmp/w.podman-none") && pp=$(med "$tmp/p.podman-none")
for k in "${order[@]}"; do
	w=$(med "$tmp/w.$k") p=$(med "$tmp/p.$k")
	r="-" rp="-"
	[ -n "$pn" ] && r=$(python3 -c "print('%.2f' % ($w/$pn))") && rp=$(python3 -c "print('%.2f' % ($p/$pp))")
	[ "$k" = jinn-runtime-none ] && r="jinn-none / it: $(python3 -c "print('%.2f' % ($(med "$tmp/w.jinn-none")/$w))")"
	printf "| %s | %.1f | %.1f | %s | %.1f | %s |\n" "$k" "$(python3 -c "print($w/1000)")" "$(med "$tmp/c.$k")" "$r" "$(python3 -c "print($p/1000)")" "$rp"
done
