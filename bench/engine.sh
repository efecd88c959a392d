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
J=(bin/jinn --root "$tmp/jinn/root" --runroot "$tmp/jinn/run")
# --tmpdir too: podman's default (/run/libpod) is shared with every other podman.
P=(podman --root "$tmp/podman/root" --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp" --cgroup-manager cgroupfs --runtime runc)
PRUN=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)

cleanup() {
	set +e +o pipefail
	"${J[@]}" rm -f $("${J[@]}" ps -aq) >/dev/null 2>&1 || true
	"${P[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
	# Podman leaves its overlay and netns mounts: unmount all under $tmp.
	grep -F " $tmp/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

hack/mkimage-busybox.sh "$fx/images/busybox.tar"
"${J[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null
"${P[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null 2>&1 ||
	"${P[@]}" import "$fx/images/busybox.tar" busybox >/dev/null
pimg=$("${P[@]}" images --format '{{.Repository}}:{{.Tag}}' | head -1)

mean_ms() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.0f | %.0f | %.0f ± %.0f" % (r["median"]*1000, r["min"]*1000, r["mean"]*1000, r["stddev"]*1000))' "$1"; }

echo "## Engine: jinn vs podman ($(date -u +%Y-%m-%d), $(nproc) cores shared with other work)" 
echo
echo "Latency of \`run --rm busybox true\` (hyperfine, $RUNS runs, 3 warm-up):"
echo
echo "| engine | runtime | median ms | min ms | mean ± σ ms |"
echo "| --- | --- | --- | --- | --- |"
for rt in runc jinn-runtime; do
	if "${J[@]}" --runtime "$rt" run --rm busybox true >/dev/null 2>&1; then
		hyperfine -N -w 3 -r "$RUNS" --export-json "$tmp/j-$rt.json" "${J[*]} --runtime $rt run --rm busybox true" >/dev/null 2>&1
		echo "| jinn | $rt | $(mean_ms "$tmp/j-$rt.json") |"
	else
		echo "| jinn | $rt | (fails here) | | |"
	fi
done
hyperfine -N -w 3 -r "$RUNS" --export-json "$tmp/p.json" "${P[*]} run --rm ${PRUN[*]} $pimg true" >"$tmp/p.out" 2>&1 || { cat "$tmp/p.out" >&2; exit 1; }
echo "| podman 4.3 | runc | $(mean_ms "$tmp/p.json") |"
echo

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
id=$("${J[@]}" --runtime runc run -d busybox sleep 600)
sleep 0.5
mpid=$(pgrep -f "jinn-monitor .*$id" | head -1)
pid=$("${P[@]}" run -d "${PRUN[@]}" "$pimg" sleep 600)
sleep 0.5
cpid=$(pgrep -f "conmon .*$pid" | head -1)
echo "Per-container monitor: jinn-monitor RSS $(rss "$mpid") KiB (PSS $(pss "$mpid")), conmon RSS $(rss "$cpid") KiB (PSS $(pss "$cpid"))."
echo
"${J[@]}" rm -f "$id" >/dev/null
"${P[@]}" rm -f -t 0 "$pid" >/dev/null

avail() { awk '/^MemAvailable/ {print $2}' /proc/meminfo; }
start_many() { # engine-args... : starts N idle containers, prints seconds and KiB
	local t0 m0 t1 m1
	sync; m0=$(avail); t0=$(date +%s.%N)
	for i in $(seq "$N"); do "$@" >/dev/null; done
	t1=$(date +%s.%N); sleep 1; m1=$(avail)
	echo "$(echo "$t1 - $t0" | bc) $((m0 - m1))"
}
read -r jt jm < <(start_many "${J[@]}" --runtime runc run -d busybox sleep 600)
jmon=$(pgrep -f "jinn-monitor $tmp" | while read -r p; do pss "$p"; done | awk '{s+=$1} END {print s}')
"${J[@]}" rm -f $("${J[@]}" ps -aq) >/dev/null
read -r pt pm < <(start_many "${P[@]}" run -d "${PRUN[@]}" "$pimg" sleep 600)
pmon=$(pgrep -f "conmon .*$tmp" | while read -r p; do pss "$p"; done | awk '{s+=$1} END {print s}')
"${P[@]}" rm -f -a -t 0 >/dev/null
echo "Starting $N idle containers (\`run -d busybox sleep 600\`, one after another, runc):"
echo
echo "| engine | time s | MemAvailable drop MiB (noisy: shared host) | monitors' PSS MiB |"
echo "| --- | --- | --- | --- |"
printf '| jinn | %.1f | %d | %.1f |\n' "$jt" $((jm / 1024)) "$(echo "$jmon / 1024" | bc -l)"
printf '| podman 4.3 | %.1f | %d | %.1f |\n' "$pt" $((pm / 1024)) "$(echo "$pmon / 1024" | bc -l)"
