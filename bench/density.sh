#!/usr/bin/env bash
# Density: N idle `run -d` containers at once, jinn side by side with podman
# (Debian's 4.3, runc, cgroupfs, conmon). For each engine, in turn (ROUNDS
# rounds, the order swapped each round): start N containers one after
# another, check that all run, time `ps -a`, take the host's memory, remove
# them all. Memory per container, three ways: (1) charged to a memory
# cgroup of the bench's own (cgroup v1 or v2), which holds the engine's
# commands (so their monitors, conmon and every kernel object they make)
# and, as --cgroup-parent, the containers: without file pages (reclaimable
# cache), i.e. anonymous memory, tmpfs, kernel memory (slab, stacks, page
# tables); the host is shared with other work, so /proc/meminfo's
# MemAvailable moves by hundreds of MiB on its own and is printed only as a
# rough check; (2) the kernel's share from /proc/meminfo (slab, kernel
# stacks, page tables, per-cpu); (3) the PSS of every process that is not a
# container's own (jinn-monitor; conmon), from smaps_rollup. Prints a
# Markdown section with the ratios.
#
# N (default 100) containers; ROUNDS (default 1); NET (default none: podman
# too gets --network none); JINN_RUNTIME (default: jinn's default);
# SLAB=1 adds the largest /proc/slabinfo deltas; ENGINES="jinn" leaves
# podman out (the default is "jinn podman"); "jinn-go" is jinn with the Go
# monitor for every container (ENGINES="jinn jinn-go podman"). Each engine has its own
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

# The bench's own memory cgroup: v1's memory hierarchy, else cgroup2.
cgname=jinn-bench-density-$$
if [ -d /sys/fs/cgroup/memory ]; then
	mcg=/sys/fs/cgroup/memory/$cgname
	usage() { cat "$mcg/memory.usage_in_bytes"; }
	files() { awk '$1 == "total_active_file" || $1 == "total_inactive_file" {s += $2} END {print s}' "$mcg/memory.stat"; }
else
	# cgroup2: at the root, where --cgroup-parent puts the containers.
	mcg=/sys/fs/cgroup/$cgname
	mkdir -p "$mcg"
	echo +memory >"$mcg/cgroup.subtree_control"
	usage() { cat "$mcg/memory.current"; }
	files() { awk '$1 == "active_file" || $1 == "inactive_file" {s += $2} END {print s}' "$mcg/memory.stat"; }
fi
mkdir -p "$mcg/cli"
# Containers under /$cgname/ctr on every hierarchy (both engines make it).
JRUN+=(--cgroup-parent "/$cgname/ctr")
PRUN+=(--cgroup-parent "/$cgname/ctr")

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
	# The bench's cgroups, deepest first, on every hierarchy.
	find /sys/fs/cgroup -depth -type d -path "*/$cgname*" -exec rmdir {} + 2>/dev/null
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
	if [ "$name" = jinn ] || [ "$name" = jinn-go ]; then
		start=("${J[@]}" run -d "${JRUN[@]}" busybox sleep 1000000)
		# jinn-go: every container with the Go monitor (JINN_MONITOR=go).
		[ "$name" = jinn-go ] && start=(env JINN_MONITOR=go "${start[@]}")
		ps=("${J[@]}" ps -a)
		rm=("${J[@]}" rm -f)
		mon="jinn-monitor(-c)? $tmp" # the C monitor, or the Go one
	else
		start=("${P[@]}" run -d "${PRUN[@]}" "$pimg" sleep 1000000)
		ps=("${P[@]}" ps -a)
		rm=("${P[@]}" rm -f -t 0)
		mon="conmon .*$tmp"
	fi
	sync
	sleep 2
	m0=$(mi MemAvailable) k0=$(kern) u0=$(($(usage) - $(files)))
	[ -n "${SLAB:-}" ] && slab >"$tmp/slab0"
	t0=$(now)
	(
		# The engine's commands, and so their monitors, in the bench's cgroup.
		echo "$BASHPID" >"$mcg/cli/cgroup.procs"
		for i in $(seq "$N"); do
			"${start[@]}" >>"$tmp/$name.ids"
			if [ "$i" -eq $((N * 9 / 10)) ]; then now >"$tmp/t9"; fi
		done
	)
	t1=$(now) t9=$(cat "$tmp/t9")
	sleep 3
	m1=$(mi MemAvailable) k1=$(kern) u1=$(($(usage) - $(files)))
	[ -n "${SLAB:-}" ] && slab >"$tmp/slab1"
	r_mon=$(pss_of "$mon")
	ps0=$(now)
	run=$("${ps[@]}" | grep -c ' Up ' || true)
	ps1=$(now)
	r_t=$(echo "$t1 - $t0" | bc)
	r_last=$(echo "($t1 - $t9) / ($N - $N * 9 / 10)" | bc -l)
	r_ps=$(echo "$ps1 - $ps0" | bc)
	r_run=$run r_mem=$((m0 - m1)) r_kern=$((k1 - k0)) r_cg=$(((u1 - u0) / 1024))
	if [ -n "${SLAB:-}" ]; then
		echo "slab deltas, $name, KiB (largest 12):" >&2
		join "$tmp/slab0" "$tmp/slab1" | awk '{d = ($3 - $2) / 1024; if (d > 0) printf "%8.0f %s\n", d, $1}' | sort -rn | head -12 >&2
	fi
	t0=$(now)
	xargs -a "$tmp/$name.ids" -n 100 "${rm[@]}" >/dev/null
	r_rm=$(echo "$(now) - $t0" | bc)
	: >"$tmp/$name.ids"
	for _ in $(seq 50); do # conmon exits a moment after podman's rm
		up=$(pgrep -fc "$mon" || true)
		[ "$up" -eq 0 ] && break
		sleep 0.1
	done
	[ "$up" -eq 0 ] || echo "warning: $up $name monitors left after rm" >&2
}

declare -A T LAST PS RUN MEM KERN MON RM CG
for r in $(seq "$ROUNDS"); do
	order=${ENGINES:-jinn podman}
	[ $((r % 2)) -eq 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
	for e in $order; do
		run_engine "$e"
		T[$e]+="$r_t " LAST[$e]+="$r_last " PS[$e]+="$r_ps " RUN[$e]+="$r_run "
		MEM[$e]+="$r_mem " KERN[$e]+="$r_kern " MON[$e]+="$r_mon " RM[$e]+="$r_rm " CG[$e]+="$r_cg "
		echo "round $r $e: start ${r_t}s, running $r_run/$N, ps ${r_ps}s, cgroup +$r_cg KiB, MemAvailable drop $r_mem KiB, kernel +$r_kern KiB, monitors' PSS $r_mon KiB, rm ${r_rm}s" >&2
	done
done

med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
row() { # engine: the table row of medians over rounds
	local e=$1 t mem kern mon cg
	t=$(med <<<"${T[$e]}") mem=$(med <<<"${MEM[$e]}") kern=$(med <<<"${KERN[$e]}") mon=$(med <<<"${MON[$e]}") cg=$(med <<<"${CG[$e]}")
	printf '| %s | %s/%s | %.1f | %.1f | %.0f | %.2f | **%.0f** | %.0f | %.0f | %.0f | %.1f |\n' "$e" "$(med <<<"${RUN[$e]}")" "$N" \
		"$t" "$(echo "$N / $t" | bc -l)" "$(echo "$(med <<<"${LAST[$e]}") * 1000" | bc -l)" "$(med <<<"${PS[$e]}")" \
		"$(echo "$cg / $N" | bc -l)" "$(echo "$kern / $N" | bc -l)" "$(echo "$mon / $N" | bc -l)" "$(echo "$mem / $N" | bc -l)" "$(med <<<"${RM[$e]}")"
}
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

echo "### Density: $N idle containers ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $ROUNDS round(s), medians)"
echo
echo "\`run -d busybox sleep\` one after another; jinn with \`--network $NET\`, podman 4.3 (runc, cgroupfs) with \`--network none\`."
echo
echo "| engine | running | start s | per s | last 10%: ms each | ps -a s | memory cgroup, no file pages: KiB/ctr | kernel (meminfo: slab, stacks, page tables, percpu) KiB/ctr | monitors' PSS KiB/ctr | MemAvailable drop KiB/ctr (noisy) | rm -f all s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for e in ${ENGINES:-jinn podman}; do row "$e"; done
echo
[ -n "${MEM[podman]:-}" ] && [ -n "${MEM[jinn]:-}" ] && echo "- jinn / podman: start time **$(ratio "$(med <<<"${T[jinn]}")" "$(med <<<"${T[podman]}")")**," \
	"host memory per container (memory cgroup) **$(ratio "$(med <<<"${CG[jinn]}")" "$(med <<<"${CG[podman]}")")**," \
	"kernel **$(ratio "$(med <<<"${KERN[jinn]}")" "$(med <<<"${KERN[podman]}")")**," \
	"monitor PSS **$(ratio "$(med <<<"${MON[jinn]}")" "$(med <<<"${MON[podman]}")")**"
[ -n "${MEM[podman]:-}" ] && [ -n "${MEM[jinn-go]:-}" ] && echo "- jinn with the Go monitor / podman: host memory per container (memory cgroup)" \
	"**$(ratio "$(med <<<"${CG[jinn-go]}")" "$(med <<<"${CG[podman]}")")**," \
	"monitor PSS **$(ratio "$(med <<<"${MON[jinn-go]}")" "$(med <<<"${MON[podman]}")")**"
true # the last line's test may fail (no jinn-go row): not the bench's status
