#!/usr/bin/env bash
# The Engine API benchmark: `docker run --rm busybox true` through jinn's
# socket (jinn system service) and through a private dockerd (Debian's
# docker.io 20.10 with its containerd), each with runc and jinn-runtime,
# interleaved; the daemons' CPU per run; then the idle RSS of the service
# against dockerd + containerd. The same docker CLI (the first on PATH)
# drives both. Every engine has its own temporary root and socket; dockerd
# makes no bridge and no iptables rules. Prints a Markdown section for
# BENCHMARKS.md. R (default 20) rounds. BASE_BIN=DIR adds a service of
# another build of jinn (its own store and socket) to the rounds and the
# memory table, to compare builds under the same load.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${R:-20}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
bin=$(realpath "${JINN_BIN:-bin}")
tmp=$(mktemp -d /tmp/jinn-bench-api.XXXXXX)
J=("$bin/jinn" --root "$tmp/jinn/root" --runroot "$tmp/jinn/run")
JS=(docker -H "unix://$tmp/jinn.sock")
D=(docker -H "unix://$tmp/docker/sock")
base=""
if [ -n "${BASE_BIN:-}" ]; then
	base=$(realpath "$BASE_BIN")
	B=("$base/jinn" --root "$tmp/base/root" --runroot "$tmp/base/run")
	BS=(docker -H "unix://$tmp/base.sock")
fi
command -v dockerd >/dev/null || { echo "dockerd is not installed (make deps installs docker.io)" >&2; exit 1; }

cleanup() {
	set +e +o pipefail
	[ -n "${svc_pid:-}" ] && kill "$svc_pid" 2>/dev/null && wait "$svc_pid" 2>/dev/null
	[ -n "${base_pid:-}" ] && kill "$base_pid" 2>/dev/null && wait "$base_pid" 2>/dev/null
	"${J[@]}" rm -f $("${J[@]}" ps -aq) >/dev/null 2>&1
	"${J[@]}" system prune -f >/dev/null 2>&1
	if [ -n "$base" ]; then
		"${B[@]}" rm -f $("${B[@]}" ps -aq) >/dev/null 2>&1
		"${B[@]}" system prune -f >/dev/null 2>&1
	fi
	if [ -n "${dockerd_pid:-}" ]; then
		"${D[@]}" rm -f $("${D[@]}" ps -aq) >/dev/null 2>&1
		kill "$dockerd_pid"; wait "$dockerd_pid"
		for h in /sys/fs/cgroup/*/jinn/bench-api-docker; do [ -d "$h" ] && rmdir "$h" "${h%/bench-api-docker}" 2>/dev/null; done
	fi
	grep -F " $tmp/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

hack/mkimage-busybox.sh "$fx/images/busybox.tar"
"${J[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null
"${J[@]}" system service --time 0 "unix://$tmp/jinn.sock" >"$tmp/jinn.log" 2>&1 &
svc_pid=$!
if [ -n "$base" ]; then
	"${B[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null
	"${B[@]}" system service --time 0 "unix://$tmp/base.sock" >"$tmp/base.log" 2>&1 &
	base_pid=$!
fi
mkdir -p "$tmp/docker"
cat >"$tmp/docker/daemon.json" <<EOF2
{"iptables": false, "ip6tables": false, "bridge": "none", "ip-forward": false, "ip-masq": false,
 "data-root": "$tmp/docker/root", "exec-root": "$tmp/docker/exec", "pidfile": "$tmp/docker/pid",
 "hosts": ["unix://$tmp/docker/sock"], "storage-driver": "overlay2", "cgroup-parent": "/jinn/bench-api-docker",
 "runtimes": {"jinn-runtime": {"path": "$bin/jinn-runtime"}}}
EOF2
dockerd --config-file "$tmp/docker/daemon.json" >"$tmp/docker/log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 100); do "${D[@]}" version >/dev/null 2>&1 && "${JS[@]}" version >/dev/null 2>&1 &&
	{ [ -z "$base" ] || "${BS[@]}" version >/dev/null 2>&1; } && break; sleep 0.1; done
"${D[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null

# Latency, interleaved run by run (R rounds, the order rotated every
# round), so that the load of a shared host falls alike on every command.
declare -A cmd
order=(jinn-jr dockerd-runc jinn-runc dockerd-jr jinn-cli)
cmd[jinn-jr]="${JS[*]} run --rm --network none --runtime jinn-runtime busybox true"
cmd[dockerd-runc]="${D[*]} run --rm --network none --runtime runc busybox true"
cmd[jinn-runc]="${JS[*]} run --rm --network none --runtime runc busybox true"
cmd[dockerd-jr]="${D[*]} run --rm --network none --runtime jinn-runtime busybox true"
cmd[jinn-cli]="${J[*]} run --rm --network none busybox true"
if [ -n "$base" ]; then
	order+=(base-jr)
	cmd[base-jr]="${BS[*]} run --rm --network none --runtime jinn-runtime busybox true"
fi
for k in "${order[@]}"; do for _ in 1 2 3; do ${cmd[$k]} >/dev/null 2>&1; done; : >"$tmp/w.$k"; done
# The daemons' own CPU (utime + stime, in clock ticks) over the runs: the
# service against dockerd + containerd (neither counts the monitors,
# shims or runtimes they start).
cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
dpids() { echo "$dockerd_pid" $(pgrep -P "$dockerd_pid" containerd); }
j0=$(cpu "$svc_pid"); d0=$(cpu $(dpids)); b0=$([ -n "$base" ] && cpu "$base_pid" || echo 0)
for r in $(seq "$R"); do
	n=${#order[@]}
	for i in $(seq 0 $((n - 1))); do
		k=${order[$(((i + r) % n))]}
		s=$(date +%s%N)
		${cmd[$k]} >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$tmp/w.$k"
	done
done
j1=$(cpu "$svc_pid"); d1=$(cpu $(dpids)); b1=$([ -n "$base" ] && cpu "$base_pid" || echo 0)
hz=$(getconf CLK_TCK)
stat() { python3 -c 'import sys,statistics as s; v=[int(x)/1000 for x in open(sys.argv[1])]; print("%.0f | %.0f | %.0f | %.0f" % (s.median(v), min(v), s.quantiles(v, n=4)[0], s.quantiles(v, n=4)[2]))' "$1"; }
# The median over rounds of a round's ratio a/b.
rratio() { python3 -c 'import sys,statistics as s; a=[int(x) for x in open(sys.argv[1])]; b=[int(x) for x in open(sys.argv[2])]; print("%.2f" % s.median([x / y for x, y in zip(a, b)]))' "$1" "$2"; }

echo "## Engine API: docker CLI through jinn system service vs dockerd ($(date -u +%Y-%m-%d), $(nproc) cores shared with other work)"
echo
echo "Latency of \`docker run --rm --network none --runtime RT busybox true\` (docker CLI $(docker version --format '{{.Client.Version}}' 2>/dev/null), $R rounds, interleaved, 3 warm-up runs each; dockerd is Debian's $(dockerd --version | awk '{print $3}' | tr -d ,) with its containerd), and \`jinn run\` of the same for reference; load $(cut -d' ' -f1-3 /proc/loadavg):"
echo
echo "| server | runtime | median ms | min ms | p25 ms | p75 ms |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "| jinn system service | jinn-runtime | $(stat "$tmp/w.jinn-jr") |"
echo "| dockerd | runc | $(stat "$tmp/w.dockerd-runc") |"
echo "| jinn system service | runc | $(stat "$tmp/w.jinn-runc") |"
echo "| dockerd | jinn-runtime | $(stat "$tmp/w.dockerd-jr") |"
echo "| (jinn CLI, no API) | jinn-runtime | $(stat "$tmp/w.jinn-cli") |"
[ -n "$base" ] && echo "| jinn system service, base build | jinn-runtime | $(stat "$tmp/w.base-jr") |"
echo
echo "Median over rounds of the round's ratio:"
echo
echo "- jinn (jinn-runtime, its default) / dockerd (runc, its default): **$(rratio "$tmp/w.jinn-jr" "$tmp/w.dockerd-runc")**"
echo "- jinn (runc) / dockerd (runc): **$(rratio "$tmp/w.jinn-runc" "$tmp/w.dockerd-runc")**"
echo "- jinn (jinn-runtime) / dockerd (jinn-runtime): **$(rratio "$tmp/w.jinn-jr" "$tmp/w.dockerd-jr")**"
echo "- through the API / jinn CLI (jinn-runtime): **$(rratio "$tmp/w.jinn-jr" "$tmp/w.jinn-cli")**"
[ -n "$base" ] && echo "- base build (jinn-runtime) / dockerd (runc): **$(rratio "$tmp/w.base-jr" "$tmp/w.dockerd-runc")**"
echo
echo "Daemon CPU per \`docker run\` (utime + stime over the $((2 * R)) runs each got): jinn system service $(python3 -c "print('%.1f' % (($j1 - $j0) * 1000 / $hz / (2 * $R)))") ms, dockerd + containerd $(python3 -c "print('%.1f' % (($d1 - $d0) * 1000 / $hz / (2 * $R)))") ms$([ -n "$base" ] && python3 -c "print(', base build service %.1f ms' % (($b1 - $b0) * 1000 / $hz / $R))")."
echo

# Idle memory: Rss of the service against dockerd + containerd (its
# child), both after the runs above and 5 s without requests (the service
# trims itself after 1 s idle, on a 2 s tick), split into anonymous memory
# and mapped files (binaries and libraries, whose pages the page cache
# keeps).
field() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/smaps_rollup"; }
sleep 5
# Each process is read once: the table and the ratios use the same figures.
rows=""
row() { # name pids...
	local name=$1 rss=0 anon=0 p
	shift
	for p in "$@"; do rss=$((rss + $(field "$p" Rss))); anon=$((anon + $(field "$p" Anonymous))); done
	rows+="| $name | $rss | $anon | $((rss - anon)) |"$'\n'
	last_rss=$rss
}
row "jinn system service" "$svc_pid"
jr=$last_rss
if [ -n "$base" ]; then row "jinn system service, base build" "$base_pid"; br=$last_rss; fi
row "dockerd" "$dockerd_pid"
dr=$last_rss
row "containerd" $(pgrep -P "$dockerd_pid" containerd)
dr=$((dr + last_rss))
echo "Idle memory (KiB, /proc/PID/smaps_rollup, 5 s after the runs):"
echo
echo "| server | Rss | anonymous | file-backed |"
echo "| --- | --- | --- | --- |"
printf '%s' "$rows"
echo
echo "- jinn system service / (dockerd + containerd) Rss: **$(python3 -c "print('%.3f' % ($jr / $dr))")**"
[ -n "$base" ] && echo "- base build / (dockerd + containerd) Rss: **$(python3 -c "print('%.3f' % ($br / $dr))")**"
echo
