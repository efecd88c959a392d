#!/usr/bin/env bash
# Where the wall time of `jinn run --rm --network none busybox true` goes:
# R runs (default 15) under `perf trace` (execve, exit_group, mkdirat,
# connect, sendto: cheap tracepoints), and the median length of each phase between
# those events (bench/phases.py): the CLI's start, its records and the
# monitor's spawn, the monitor's start, the runtime's run and delete, the
# end. With BASE_BIN=DIR another build runs interleaved beside this one
# (JINN_BIN, default bin/). NET=bridge times jinn's default bridge instead
# of --network none. KEEP=DIR keeps the traces. Needs perf.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${R:-15}
net=(--network "${NET:-none}")
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
command -v perf >/dev/null || { echo "phases: needs perf" >&2; exit 0; }
tmp=$(mktemp -d /tmp/jinn-bench-phases.XXXXXX)
mkdir -p "$tmp/run"
mount -t tmpfs -o size=512m,mode=0700 jinn-bench-phases "$tmp/run"
declare -A bin
bin[after]="$(realpath "${JINN_BIN:-bin}")/jinn"
[ -n "${BASE_BIN:-}" ] && bin[base]="$(realpath "$BASE_BIN")/jinn"
names=()
[ -n "${BASE_BIN:-}" ] && names+=(base)
names+=(after)
cleanup() {
	set +e
	for n in "${names[@]}"; do ${bin[$n]} --root "$tmp/$n" --runroot "$tmp/run/$n" system prune -f >/dev/null 2>&1; done
	for n in "${names[@]}"; do ${bin[$n]} --root "$tmp/$n" --runroot "$tmp/run/$n" network prune -f >/dev/null 2>&1; done
	grep -F " $tmp/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
hack/mkimage-busybox.sh "$fx/images/busybox.tar"
for n in "${names[@]}"; do
	j="${bin[$n]} --root $tmp/$n --runroot $tmp/run/$n"
	$j load -q -i "$fx/images/busybox.tar" >/dev/null
	$j run --rm "${net[@]}" busybox true
done
# The first of a round's runs is the slower one (1-2 ms more from the
# CLI's start to its first record, the same code both sides): the order
# turns each round.
for i in $(seq "$R"); do
	round=("${names[@]}")
	[ $((i % 2)) = 0 ] && [ "${#names[@]}" = 2 ] && round=("${names[1]}" "${names[0]}")
	for n in "${round[@]}"; do
		perf trace -o "$tmp/pt-$n-$i.txt" -e 'execve,exit_group,mkdirat,connect,sendto' -- \
			${bin[$n]} --root "$tmp/$n" --runroot "$tmp/run/$n" run --rm "${net[@]}" busybox true
	done
done
args=()
for n in "${names[@]}"; do args+=("$n=$tmp/pt-$n-*.txt"); done
python3 bench/phases.py "${args[@]}"
# KEEP=DIR keeps the traces (pt-BUILD-ROUND.txt) for a closer look.
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$tmp"/pt-*.txt "$KEEP"/
exit 0
