#!/usr/bin/env bash
# Where `jinn run --rm busybox true` waits: N runs (default 5) under
# `perf sched record -g`, with --network none and with the default bridge;
# prints CPU ms per process, uninterruptible waits by cause (bench/waits.py)
# and, from one run under strace -f, the execs, fsyncs and file removals.
# JINN_BIN=DIR times another build. Needs perf and strace.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
tmp=$(mktemp -d /tmp/jinn-bench-waits.XXXXXX)
J=("$(realpath "${JINN_BIN:-bin}")/jinn" --root "$tmp/root" --runroot "$tmp/run")
cleanup() {
	set +e
	"${J[@]}" system prune -f >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
command -v perf >/dev/null && command -v strace >/dev/null || { echo "waits: needs perf and strace" >&2; exit 0; }
hack/mkimage-busybox.sh "$fx/images/busybox.tar"
"${J[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null
for net in none bridge; do
	na=""
	[ "$net" = none ] && na="--network none"
	"${J[@]}" run --rm $na busybox true # warm: image, bridge
	cat >"$tmp/loop.sh" <<EOS
echo \$\$ >"$tmp/loop.pid"
for i in \$(seq $N); do ${J[*]} run --rm $na busybox true; done
EOS
	perf sched record -g -o "$tmp/sched.data" -- bash "$tmp/loop.sh" >/dev/null 2>&1
	echo "### network $net ($N runs)"
	python3 bench/waits.py "$tmp/sched.data" "$N" "$(cat "$tmp/loop.pid")" "${TOP:-12}"
	strace -f -o "$tmp/st.txt" -e trace=execve,fsync,fdatasync,syncfs,unlinkat,rmdir,renameat "${J[@]}" run --rm $na busybox true
	echo "one run (strace -f): execve $(grep -c 'execve(' "$tmp/st.txt"), fsync $(grep -cE 'fsync\(|fdatasync\(|syncfs\(' "$tmp/st.txt"), rename $(grep -c 'rename' "$tmp/st.txt"), unlink/rmdir $(grep -cE 'unlinkat\(|rmdir\(' "$tmp/st.txt")"
	rm -f "$tmp/sched.data"
done
