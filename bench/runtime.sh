#!/usr/bin/env bash
# bench/runtime.sh: `run` of /bin/true (create, start, wait, delete) on the
# busybox bundle with jinn-runtime, runc and crun, side by side in one
# hyperfine run, and the ratios.
#
# crun refuses this hybrid cgroup host (cgroup2 mounted at
# /sys/fs/cgroup/unified with no controllers), so the three are timed in a
# private mount namespace (unshare -m) where that mount is hidden: the same
# host for all three. jinn-runtime and runc are also timed on the host as is.
#
# A third table starts each run 100 ms after the last (hyperfine --prepare
# sleep): a container started now and then, not in a tight loop. Moving a
# process into a cgroup (runc's and crun's write to cgroup.procs) waits
# for an RCU grace period unless another move happened within the last
# one; back to back, each run finds the previous one's still fresh.
#
# The blocks and perf stat tables are repeated for the engine's spec of
# `jinn run --network none busybox true` (ENGINE_SPEC=0 leaves it out):
# jinn-runtime against crun on the bundle bench/latency.sh's
# jinn-runtime-none row runs.
set -euo pipefail
cd "$(dirname "$0")/.."
JINN=${JINN:-$PWD/bin/jinn-runtime}
# BASE=path/to/an/older/jinn-runtime adds it to every table as jinn-base:
# before and after a change, interleaved in the same runs.
BASE=${BASE:-}
PERF_RUNS=${PERF_RUNS:-20}
PERF_ROUNDS=${PERF_ROUNDS:-3}
FIXTURES=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
RUNS=${RUNS:-200}
COLD_RUNS=${COLD_RUNS:-40}
for t in hyperfine runc crun; do
	command -v $t >/dev/null || { echo "bench/runtime.sh: $t missing (make deps)" >&2; exit 1; }
done
[ -x "$JINN" ] || { echo "bench/runtime.sh: $JINN missing (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/jinn-bench-runtime.XXXXXX)
cleanup() {
	set +e
	grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
	# The engine's spec's cgroup parent (crun and runc leave it).
	rmdir /sys/fs/cgroup/*/"$(basename "$work")"/rt /sys/fs/cgroup/*/"$(basename "$work")" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
bundle=$work/bundle
mkdir -p "$bundle" "$work/state"
# jinn-runtime run's plans for its C run (the second run of a bundle on):
# the bench's own, gone with it. JINN_RUNTIME_PLAN_DIR=off measures the
# Go run alone.
export JINN_RUNTIME_PLAN_DIR=${JINN_RUNTIME_PLAN_DIR:-$work/plans}
cp -a "$FIXTURES/busybox" "$bundle/rootfs"
# One config.json for all three: runc's default, without a terminal.
(cd "$bundle" && runc spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$bundle/config.json"
grep -q '"/bin/true"' "$bundle/config.json"

# The engine's spec (ENGINE_SPEC=0 skips it): what `jinn run --network
# none busybox true` hands the runtime (docker's seccomp profile, 11
# masked and 5 read-only paths, its /dev rules, a network namespace of its
# own), taken from a container that bin/jinn creates in a store of the
# bench's own, on a copy of the same root file system.
ebundle=""
if [ "${ENGINE_SPEC:-1}" != 0 ] && [ -x "$(dirname "$JINN")/jinn" ]; then
	ebundle=$work/ebundle
	ej="$(dirname "$JINN")/jinn --root $work/engine/root --runroot $work/engine/run"
	hack/mkimage-busybox.sh "$FIXTURES/images/busybox.tar"
	$ej load -q -i "$FIXTURES/images/busybox.tar" >/dev/null
	JINN_FIXTURES=$FIXTURES bench/enginebundle.sh "$(dirname "$JINN")/jinn" "$work/engine/root" "$work/engine/run" \
		"$ebundle" "/$(basename "$work")/rt"
	$ej system prune -f >/dev/null 2>&1 || true
fi

jinn="$JINN --root $work/state/jinn run -b $bundle bench-jinn"
runc="runc --root $work/state/runc run -b $bundle bench-runc"
crun="crun --root $work/state/crun run -b $bundle bench-crun"
base="${BASE:+$BASE --root $work/state/base run -b $bundle bench-base}"
# hyperfine arguments for jinn-base, if any
basecmd=()
[ -z "$BASE" ] || basecmd=(-n jinn-base "$base")

# summary CSV: median and min wall time, CPU time (user+sys), and
# jinn-runtime's median over each runtime's (the issue's "0.8x crun" is
# that column's crun row): medians and CPU time are what a shared, loaded
# machine distorts least.
summary() {
	awk -F, 'NR > 1 { name[NR] = $1; med[NR] = $4 * 1000; min[NR] = $7 * 1000; cpu[NR] = ($5 + $6) * 1000
		if ($1 == "jinn-runtime") j = NR }
	END { printf "%-14s %10s %10s %10s %16s\n", "runtime", "median ms", "min ms", "cpu ms", "jinn / this"
		for (i = 2; i <= NR; i++) printf "%-14s %10.1f %10.1f %10.1f %16.2f\n", name[i], med[i], min[i], cpu[i], med[j] / med[i] }' "$1"
}

echo "## host as is (hybrid cgroups): jinn-runtime vs runc"
hyperfine -N --warmup 10 --runs "$RUNS" --export-csv "$work/host.csv" -n jinn-runtime "$jinn" "${basecmd[@]}" -n runc "$runc"
summary "$work/host.csv"

echo
echo "## private mount namespace without /sys/fs/cgroup/unified: jinn-runtime vs runc vs crun"
unshare -m sh -c '
	mount --make-rprivate /
	umount /sys/fs/cgroup/unified
	exec hyperfine -N --warmup 10 --runs "$0" --export-csv "$4" -n jinn-runtime "$1" -n crun "$2" -n runc "$3" ${5:+-n jinn-base "$5"}
' "$RUNS" "$jinn" "$crun" "$runc" "$work/private.csv" "$base"
summary "$work/private.csv"

echo
echo "## the same, each run 100 ms after the last (no warm cgroup-move path)"
unshare -m sh -c '
	mount --make-rprivate /
	umount /sys/fs/cgroup/unified
	exec hyperfine -N --warmup 3 --runs "$0" --prepare "sleep 0.1" --export-csv "$4" -n jinn-runtime "$1" -n crun "$2" -n runc "$3" ${5:+-n jinn-base "$5"}
' "$COLD_RUNS" "$jinn" "$crun" "$runc" "$work/cold.csv" "$base"
summary "$work/cold.csv"

# turns ROUNDS BODY name=cmd...: in the private namespace of the tables
# above, round after round, each runtime in turn runs BODY (bash, with
# $name and $cmd set); empty entries are skipped.
turns() {
	unshare -m bash -c '
		mount --make-rprivate /
		umount /sys/fs/cgroup/unified
		rounds=$1 body=$2
		shift 2
		for r in $(seq "$rounds"); do
			for c in "$@"; do
				[ -n "$c" ] || continue
				name=${c%%=*} cmd=${c#*=}
				eval "$body"
			done
		done' turns "$@"
}

# hyperfine times each command's runs one after the other, so a change in
# the other load on the host lands on one runtime only. Here each runtime
# runs a block of BLOCK tight-loop runs in turn, for BLOCK_ROUNDS rounds:
# crun's back-to-back cgroup moves stay warm within a block, and load
# drift hits every runtime alike. Times include a fork of the shell.
blocks() {
	turns "${BLOCK_ROUNDS:-10}" '$cmd >/dev/null 2>&1
		for i in $(seq '"${BLOCK:-10}"'); do
			s=$EPOCHREALTIME; $cmd >/dev/null 2>&1; e=$EPOCHREALTIME
			echo "$name $(( ${e/./} - ${s/./} ))"
		done' "$@" |
		sort -k1,1 -k2,2n | awk '{ v[$1, ++n[$1]] = $2 } !($1 in seen) { seen[$1] = 1; order[++k] = $1 }
			END { for (i = 1; i <= k; i++) { r = order[i]; med[r] = v[r, int(n[r] / 2) + 1] / 1000 }
				printf "%-14s %10s %16s\n", "runtime", "median ms", "jinn / this"
				for (i = 1; i <= k; i++) { r = order[i]; printf "%-14s %10.2f %16.2f\n", r, med[r], med["jinn-runtime"] / med[r] } }'
}
echo
echo "## tight loops in blocks of ${BLOCK:-10}, the runtimes taking turns for ${BLOCK_ROUNDS:-10} rounds (median ms)"
blocks "jinn-runtime=$jinn" "crun=$crun" "runc=$runc" ${base:+"jinn-base=$base"}
if [ -n "$ebundle" ]; then
	ejinn="$JINN --root $work/state/jinn run -b $ebundle bench-ejinn"
	ecrun="crun --root $work/state/crun run -b $ebundle bench-ecrun"
	ebase="${BASE:+$BASE --root $work/state/base run -b $ebundle bench-ebase}"
	echo
	echo "## the same, the engine's spec of run --network none busybox true"
	blocks "jinn-runtime=$ejinn" "crun=$ecrun" ${ebase:+"jinn-base=$ebase"}
fi

# The load-independent figures: CPU time (task-clock of the whole process
# tree), page faults and context switches per run, from perf stat, the
# runtimes taking turns for PERF_ROUNDS rounds of PERF_RUNS runs each.
command -v perf >/dev/null || { echo "(perf missing: no CPU table)"; exit 0; }
echo
perfstat() {
	turns "$PERF_ROUNDS" 'perf stat -x, -r '"$PERF_RUNS"' -e task-clock,page-faults,context-switches -- $cmd 2>&1 >/dev/null |
		sed "s/^/$name,/"' "$@" |
		awk -F, '$4 == "task-clock" || $4 ~ /^task-clock/ { cpu[$1] += $2; n[$1]++ }
			$4 ~ /^page-faults/ { pf[$1] += $2 } $4 ~ /^context-switches/ { cs[$1] += $2 }
			!($1 in seen) { seen[$1] = 1; order[++k] = $1 }
			END { printf "%-14s %10s %12s %12s %16s\n", "runtime", "cpu ms", "page faults", "ctx switches", "jinn cpu / this"
				for (i = 1; i <= k; i++) { r = order[i]; printf "%-14s %10.2f %12.0f %12.0f %16.2f\n", r, cpu[r] / n[r], pf[r] / n[r], cs[r] / n[r], (cpu["jinn-runtime"] / n["jinn-runtime"]) / (cpu[r] / n[r]) } }'
}
echo "## perf stat per run, same private namespace, $PERF_ROUNDS interleaved rounds of $PERF_RUNS (means of the rounds)"
perfstat "jinn-runtime=$jinn" "crun=$crun" "runc=$runc" ${base:+"jinn-base=$base"}
if [ -n "$ebundle" ]; then
	echo
	echo "## the same, the engine's spec"
	perfstat "jinn-runtime=$ejinn" "crun=$ecrun" ${ebase:+"jinn-base=$ebase"}
fi
