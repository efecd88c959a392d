#!/usr/bin/env bash
# The engine benchmark, side by side with podman (Debian's 4.3, runc,
# cgroupfs): latency of `run --rm IMAGE true`, the monitor's RSS against
# conmon's, and the time and memory to start 100 idle containers.
# Both engines get their own temporary --root/--runroot and the same image
# (the busybox fixture). Prints a Markdown section for BENCHMARKS.md.
# N (default 100) idle containers; RUNS (default 30) latency runs.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
RUNS=${RUNS:-30}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
tmp=$(mktemp -d /tmp/jinn-bench-engine.XXXXXX)
J=("${JINN_BIN:-bin}/jinn" --root "$tmp/jinn/root" --runroot "$tmp/jinn/run")
# --tmpdir too: podman's default (/run/libpod) is shared with every other podman.
P=(podman --root "$tmp/podman/root" --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp" --cgroup-manager cgroupfs --runtime runc)
PRUN=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)

cleanup() {
	set +e +o pipefail
	"${J[@]}" rm -f $("${J[@]}" ps -aq) >/dev/null 2>&1 || true
	"${J[@]}" system prune -f >/dev/null 2>&1 || true # the default bridge stays up until pruned
	"${P[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
	if [ -n "${dockerd_pid:-}" ]; then
		"${D[@]}" rm -f $("${D[@]}" ps -aq) >/dev/null 2>&1
		kill "$dockerd_pid"; wait "$dockerd_pid"
		# runc under dockerd made these: jinn-runtime's empty-parent removal
		# does not see them. rmdir fails harmlessly on a parent still in use.
		for h in /sys/fs/cgroup/*/jinn/bench-docker; do [ -d "$h" ] && rmdir "$h" "${h%/bench-docker}" 2>/dev/null; done
	fi
	# Podman leaves its overlay and netns mounts: unmount all under $tmp.
	# Twice: podman's overlay mount can come back while its rm finishes.
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

mean_ms() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.0f | %.0f | %.0f ± %.0f" % (r["median"]*1000, r["min"]*1000, r["mean"]*1000, r["stddev"]*1000))' "$1"; }

median() { python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$1"; }
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

echo "## Engine: jinn vs podman ($(date -u +%Y-%m-%d), $(nproc) cores shared with other work)"
echo
echo "Latency of \`run --rm busybox true\` (hyperfine, $RUNS runs, 3 warm-up), podman with \`--network none\`:"
echo
echo "| engine | runtime | network | median ms | min ms | mean ± σ ms |"
echo "| --- | --- | --- | --- | --- | --- |"
for rt in runc jinn-runtime; do
	for net in bridge none; do
		na=(); [ "$net" = none ] && na=(--network none)
		if "${J[@]}" --runtime "$rt" run --rm "${na[@]}" busybox true >/dev/null 2>&1; then
			hyperfine -N -w 3 -r "$RUNS" --export-json "$tmp/j-$rt-$net.json" "${J[*]} --runtime $rt run --rm ${na[*]} busybox true" >/dev/null 2>&1
			echo "| jinn | $rt | $net | $(mean_ms "$tmp/j-$rt-$net.json") |"
		else
			echo "| jinn | $rt | $net | (fails here) | | |"
		fi
	done
done
hyperfine -N -w 3 -r "$RUNS" --export-json "$tmp/p.json" "${P[*]} run --rm ${PRUN[*]} $pimg true" >"$tmp/p.out" 2>&1 || { cat "$tmp/p.out" >&2; exit 1; }
echo "| podman 4.3 | runc | none | $(mean_ms "$tmp/p.json") |"
# Docker (Debian's docker.io) when installed: a dockerd of the bench's own,
# on its own sockets and directories, with no bridge and no iptables (it
# touches no network device or firewall rule of the host).
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
	mkdir -p "$tmp/docker"
	cat >"$tmp/docker/daemon.json" <<EOF
{"iptables": false, "ip6tables": false, "bridge": "none", "ip-forward": false, "ip-masq": false,
 "data-root": "$tmp/docker/root", "exec-root": "$tmp/docker/exec", "pidfile": "$tmp/docker/pid",
 "hosts": ["unix://$tmp/docker/sock"], "storage-driver": "overlay2", "cgroup-parent": "/jinn/bench-docker",
 "runtimes": {"jinn": {"path": "$(realpath "${JINN_BIN:-bin}")/jinn-runtime"}}}
EOF
	dockerd --config-file "$tmp/docker/daemon.json" >"$tmp/docker/log" 2>&1 &
	dockerd_pid=$!
	D=(docker -H "unix://$tmp/docker/sock")
	for _ in $(seq 100); do "${D[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
	"${D[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null
	for rt in runc jinn; do
		hyperfine -N -w 3 -r "$RUNS" --export-json "$tmp/d-$rt.json" "${D[*]} run --rm --runtime $rt --network none busybox true" >/dev/null 2>&1
		echo "| docker 20.10 | ${rt/jinn/jinn-runtime} | none | $(mean_ms "$tmp/d-$rt.json") |"
	done
fi
echo
pm=$(median "$tmp/p.json")
for f in jinn-runtime-bridge jinn-runtime-none runc-none; do
	[ -f "$tmp/j-$f.json" ] && echo "- jinn ($f) / podman median: **$(ratio "$(median "$tmp/j-$f.json")" "$pm")**"
done
if [ -f "$tmp/d-runc.json" ]; then
	dm=$(median "$tmp/d-runc.json")
	for f in jinn-runtime-bridge jinn-runtime-none; do
		echo "- jinn ($f) / docker (runc) median: **$(ratio "$(median "$tmp/j-$f.json")" "$dm")**"
	done
	echo "- docker with jinn-runtime / docker with runc median: **$(ratio "$(median "$tmp/d-jinn.json")" "$dm")**"
fi
echo

# The monitors side by side: Rss and Pss from smaps_rollup, 3 s after
# start (jinn-monitor gives back its start-up mappings a second after the
# container's first output) and after both containers logged a line every
# 20 ms for LOGSECS more seconds (steady state must stay flat).
LOGSECS=${LOGSECS:-20}
smaps() { awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} END {print r, p}' "/proc/$1/smaps_rollup"; }
logger='while :; do echo "a log line of about fifty bytes, written every 20 ms"; sleep 0.02; done'
id=$("${J[@]}" --runtime runc run -d --network none busybox sh -c "$logger")
pid=$("${P[@]}" run -d "${PRUN[@]}" "$pimg" sh -c "$logger")
sleep 3
mpid=$(pgrep -f "jinn-monitor(-c)? .*$id" | head -1) # the C monitor, or the Go one
cpid=$(pgrep -f "conmon .*$pid" | head -1)
read -r jr0 jp0 < <(smaps "$mpid")
read -r cr0 cp0 < <(smaps "$cpid")
sleep "$LOGSECS"
read -r jr1 jp1 < <(smaps "$mpid")
read -r cr1 cp1 < <(smaps "$cpid")
echo "Per-container monitor, side by side (KiB, from /proc/PID/smaps_rollup; a container logging a line every 20 ms, 3 s after start and $LOGSECS s later):"
echo
echo "| monitor | Rss at 3 s | Pss at 3 s | Rss $LOGSECS s later | Pss $LOGSECS s later |"
echo "| --- | --- | --- | --- | --- |"
echo "| $(basename "$(readlink "/proc/$mpid/exe")") | $jr0 | $jp0 | $jr1 | $jp1 |"
echo "| conmon | $cr0 | $cp0 | $cr1 | $cp1 |"
echo
echo "- jinn's monitor / conmon Rss: **$(ratio "$jr0" "$cr0")** at 3 s, **$(ratio "$jr1" "$cr1")** $LOGSECS s later"
echo
"${J[@]}" rm -f "$id" >/dev/null
"${P[@]}" rm -f -t 0 "$pid" >/dev/null

pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
avail() { awk '/^MemAvailable/ {print $2}' /proc/meminfo; }
start_many() { # engine-args... : starts N idle containers, prints seconds and KiB
	local t0 m0 t1 m1
	sync; m0=$(avail); t0=$(date +%s.%N)
	for i in $(seq "$N"); do "$@" >/dev/null; done
	t1=$(date +%s.%N); sleep 1; m1=$(avail)
	echo "$(echo "$t1 - $t0" | bc) $((m0 - m1))"
}
read -r jt jm < <(start_many "${J[@]}" --runtime runc run -d --network none busybox sleep 600)
jmon=$(pgrep -f "jinn-monitor(-c)? $tmp" | while read -r p; do pss "$p"; done | awk '{s+=$1} END {print s}')
"${J[@]}" rm -f $("${J[@]}" ps -aq) >/dev/null
read -r pt pm < <(start_many "${P[@]}" run -d "${PRUN[@]}" "$pimg" sleep 600)
pmon=$(pgrep -f "conmon .*$tmp" | while read -r p; do pss "$p"; done | awk '{s+=$1} END {print s}')
"${P[@]}" rm -f -a -t 0 >/dev/null
echo "Starting $N idle containers (\`run -d --network none busybox sleep 600\`, one after another, runc):"
echo
echo "| engine | time s | MemAvailable drop MiB (noisy: shared host) | monitors' PSS MiB |"
echo "| --- | --- | --- | --- |"
printf '| jinn | %.1f | %d | %.1f |\n' "$jt" $((jm / 1024)) "$(echo "$jmon / 1024" | bc -l)"
printf '| podman 4.3 | %.1f | %d | %.1f |\n' "$pt" $((pm / 1024)) "$(echo "$pmon / 1024" | bc -l)"
echo
echo "- per monitor, PSS: jinn's $((jmon / N)) KiB, conmon $((pmon / N)) KiB"
