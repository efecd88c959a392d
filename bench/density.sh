#!/usr/bin/env bash
# Density: N idle `run -d` containers at once, jinn side by side with podman
# (Debian's 4.3, runc, cgroupfs, conmon). For each engine, in turn (ROUNDS
# rounds, the order swapped each round): start N containers one after
# another, check that all run, time `ps -a`, take the host's memory, remove
# them all. Memory per container: the MemAvailable drop, the kernel's share
# of it (slab, kernel stacks, page tables, per-cpu) from /proc/meminfo, and
# the PSS of every process that is not a container's own (jinn-monitor;
# conmon), from smaps_rollup. Prints a Markdown section with the ratios.
#
# N (default 100) containers; ROUNDS (default 1); NET (default none: podman
# too gets --network none); JINN_RUNTIME (default: jinn's default);
# SLAB=1 adds the largest /proc/slabinfo deltas; ENGINES="jinn" leaves
# podman out (the default is "jinn podman"). Each engine has its own
# temporary --root and --runroot, and everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
ROUNDS=${ROUNDS:-1}
NET=${NET:-none}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
tmp=$(mktemp -d /tmp/jinn-bench-density.XXXXXX)
J=("${JINN_BIN:-bin}/jinn" --root "$tmp/jinn/root" --runroot "$tmp/jinn/run")
[ -n "${JINN_RUNTIME:-}" ] && J+=(--runtime "$JINN_RUNTIME")
P=(podman --root "$tmp/podman/root" --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp" --cgroup-manager cgroupfs --runtime runc)
# podman's default limits would not fit 1,000 containers on this host's
# hard limits (no CAP_SYS_RESOURCE); jinn's defaults are docker's.
PRUN=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
JRUN=(--network "$NET")
[ "$NET" = bridge ] && JRUN=()

cleanup() {
	set +e +o pipefail
	"${J[@]}" rm -f $("${J[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1
	"${J[@]}" system prune -f >/dev/null 2>&1
	"${P[@]}" rm -f -a -t 0 >/dev/null 2>&1
	# Podman leaves its overlay and netns mounts: unmount all under $tmp.
	for _ in 1 2; do
		grep -F " $tmp/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
		sleep 0.3
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

hack/mkimage-busybox.sh "$fx/images/busybox.tar"
"${J[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null
"${P[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null 2>&1 ||
	"${P[@]}" import "$fx/images/busybox.tar" busybox >/dev/null
pimg=$("${P[@]}" images --format '{{.Repository}}:{{.Tag}}' | head -1)

now() { date +%s.%N; }
mi() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
kern() { echo $(($(mi Slab) + $(mi KernelStack) + $(mi PageTables) + $(mi Percpu))); }
pss_of() { # pgrep pattern: sum of PSS (KiB) of the matching processes
	pgrep -f "$1" | while read -r p; do awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '{s += $1} END {print s + 0}'
}
slab() { awk 'NR > 2 {print $1, $3 * $4}' /proc/slabinfo | sort; }

# run_engine NAME: N containers of one engine; sets the r_* figures.
run_engine() {
	local name=$1 t0 t1 t9 m0 m1 k0 k1 i up ps0 ps1 run
	local -a start ps rm
	if [ "$name" = jinn ]; then
		start=("${J[@]}" run -d "${JRUN[@]}" busybox sleep 1000000)
		ps=("${J[@]}" ps -a)
		rm=("${J[@]}" rm -f)
		mon="jinn-monitor $tmp"
	else
		start=("${P[@]}" run -d "${PRUN[@]}" "$pimg" sleep 1000000)
		ps=("${P[@]}" ps -a)
		rm=("${P[@]}" rm -f -t 0)
		mon="conmon .*$tmp"
	fi
	sync
	sleep 2
	m0=$(mi MemAvailable) k0=$(kern)
	[ -n "${SLAB:-}" ] && slab >"$tmp/slab0"
	t0=$(now)
	for i in $(seq "$N"); do
		"${start[@]}" >>"$tmp/$name.ids"
		[ "$i" -eq $((N * 9 / 10)) ] && t9=$(now)
	done
	t1=$(now)
	sleep 3
	m1=$(mi MemAvailable) k1=$(kern)
	[ -n "${SLAB:-}" ] && slab >"$tmp/slab1"
	r_mon=$(pss_of "$mon")
	ps0=$(now)
	run=$("${ps[@]}" | grep -c ' Up ' || true)
	ps1=$(now)
	r_t=$(echo "$t1 - $t0" | bc)
	r_last=$(echo "($t1 - $t9) / ($N - $N * 9 / 10)" | bc -l)
	r_ps=$(echo "$ps1 - $ps0" | bc)
	r_run=$run r_mem=$((m0 - m1)) r_kern=$((k1 - k0))
	if [ -n "${SLAB:-}" ]; then
		echo "slab deltas, $name, KiB (largest 12):" >&2
		join "$tmp/slab0" "$tmp/slab1" | awk '{d = ($3 - $2) / 1024; if (d > 0) printf "%8.0f %s\n", d, $1}' | sort -rn | head -12 >&2
	fi
	t0=$(now)
	xargs -a "$tmp/$name.ids" -n 100 "${rm[@]}" >/dev/null
	r_rm=$(echo "$(now) - $t0" | bc)
	: >"$tmp/$name.ids"
	up=$(pgrep -fc "$mon" || true)
	[ "$up" -eq 0 ] || echo "warning: $up $name monitors left after rm" >&2
}

declare -A T LAST PS RUN MEM KERN MON RM
for r in $(seq "$ROUNDS"); do
	order=${ENGINES:-jinn podman}
	[ $((r % 2)) -eq 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
	for e in $order; do
		run_engine "$e"
		T[$e]+="$r_t " LAST[$e]+="$r_last " PS[$e]+="$r_ps " RUN[$e]+="$r_run "
		MEM[$e]+="$r_mem " KERN[$e]+="$r_kern " MON[$e]+="$r_mon " RM[$e]+="$r_rm "
		echo "round $r $e: start ${r_t}s, running $r_run/$N, ps ${r_ps}s, MemAvailable -$r_mem KiB, kernel +$r_kern KiB, monitors' PSS $r_mon KiB, rm ${r_rm}s" >&2
	done
done

med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
row() { # engine: the table row of medians over rounds
	local e=$1 t mem kern mon
	t=$(med <<<"${T[$e]}") mem=$(med <<<"${MEM[$e]}") kern=$(med <<<"${KERN[$e]}") mon=$(med <<<"${MON[$e]}")
	printf '| %s | %s/%s | %.1f | %.1f | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f |\n' "$e" "$(med <<<"${RUN[$e]}")" "$N" \
		"$t" "$(echo "$N / $t" | bc -l)" "$(echo "$(med <<<"${LAST[$e]}") * 1000" | bc -l)" "$(med <<<"${PS[$e]}")" \
		"$(echo "$mem / $N" | bc -l)" "$(echo "$kern / $N" | bc -l)" "$(echo "$mon / $N" | bc -l)" "$(med <<<"${RM[$e]}")"
}
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

echo "### Density: $N idle containers ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $ROUNDS round(s), medians)"
echo
echo "\`run -d busybox sleep\` one after another; jinn with \`--network $NET\`, podman 4.3 (runc, cgroupfs) with \`--network none\`."
echo
echo "| engine | running | start s | per s | last 10%: ms each | ps -a s | MemAvailable drop KiB/ctr | kernel (slab, stacks, page tables, percpu) KiB/ctr | monitors' PSS KiB/ctr | rm -f all s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for e in ${ENGINES:-jinn podman}; do row "$e"; done
echo
[ -n "${MEM[podman]:-}" ] && [ -n "${MEM[jinn]:-}" ] && echo "- jinn / podman: start time **$(ratio "$(med <<<"${T[jinn]}")" "$(med <<<"${T[podman]}")")**," \
	"host memory per container (MemAvailable) **$(ratio "$(med <<<"${MEM[jinn]}")" "$(med <<<"${MEM[podman]}")")**," \
	"kernel **$(ratio "$(med <<<"${KERN[jinn]}")" "$(med <<<"${KERN[podman]}")")**," \
	"monitor PSS **$(ratio "$(med <<<"${MON[jinn]}")" "$(med <<<"${MON[podman]}")")**"
