#!/usr/bin/env bash
# The Engine API benchmark: `docker run --rm busybox true` through jinn's
# socket (jinn system service) and through a private dockerd (Debian's
# docker.io 20.10 with its containerd), each with runc and jinn-runtime,
# side by side; then the idle RSS of the service against
# dockerd + containerd. The same docker CLI (the first on PATH) drives
# both. Every engine has its own temporary root and socket; dockerd makes
# no bridge and no iptables rules. Prints a Markdown section for
# BENCHMARKS.md. RUNS (default 20) latency runs per command.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
bin=$(realpath "${JINN_BIN:-bin}")
tmp=$(mktemp -d /tmp/jinn-bench-api.XXXXXX)
J=("$bin/jinn" --root "$tmp/jinn/root" --runroot "$tmp/jinn/run")
JS=(docker -H "unix://$tmp/jinn.sock")
D=(docker -H "unix://$tmp/docker/sock")
command -v dockerd >/dev/null || { echo "dockerd is not installed (make deps installs docker.io)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (make deps)" >&2; exit 1; }

cleanup() {
	set +e +o pipefail
	[ -n "${svc_pid:-}" ] && kill "$svc_pid" 2>/dev/null && wait "$svc_pid" 2>/dev/null
	"${J[@]}" rm -f $("${J[@]}" ps -aq) >/dev/null 2>&1
	"${J[@]}" system prune -f >/dev/null 2>&1
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
mkdir -p "$tmp/docker"
cat >"$tmp/docker/daemon.json" <<EOF2
{"iptables": false, "ip6tables": false, "bridge": "none", "ip-forward": false, "ip-masq": false,
 "data-root": "$tmp/docker/root", "exec-root": "$tmp/docker/exec", "pidfile": "$tmp/docker/pid",
 "hosts": ["unix://$tmp/docker/sock"], "storage-driver": "overlay2", "cgroup-parent": "/jinn/bench-api-docker",
 "runtimes": {"jinn-runtime": {"path": "$bin/jinn-runtime"}}}
EOF2
dockerd --config-file "$tmp/docker/daemon.json" >"$tmp/docker/log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 100); do "${D[@]}" version >/dev/null 2>&1 && "${JS[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${D[@]}" load -q -i "$fx/images/busybox.tar" >/dev/null

ms() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.0f | %.0f | %.0f ± %.0f" % (r["median"]*1000, r["min"]*1000, r["mean"]*1000, r["stddev"]*1000))' "$1" "$2"; }
median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

echo "## Engine API: docker CLI through jinn system service vs dockerd ($(date -u +%Y-%m-%d), $(nproc) cores shared with other work)"
echo
echo "Latency of \`docker run --rm --network none --runtime RT busybox true\` (docker CLI $(docker version --format '{{.Client.Version}}' 2>/dev/null), hyperfine, $RUNS runs each, 3 warm-up; dockerd is Debian's $(dockerd --version | awk '{print $3}' | tr -d ,) with its containerd):"
echo
echo "| server | runtime | median ms | min ms | mean ± σ ms |"
echo "| --- | --- | --- | --- | --- |"
hyperfine -N -w 3 -r "$RUNS" --export-json "$tmp/run.json" \
	"${JS[*]} run --rm --network none --runtime runc busybox true" \
	"${D[*]} run --rm --network none --runtime runc busybox true" \
	"${JS[*]} run --rm --network none --runtime jinn-runtime busybox true" \
	"${D[*]} run --rm --network none --runtime jinn-runtime busybox true" >/dev/null 2>&1
echo "| jinn system service | runc | $(ms "$tmp/run.json" 0) |"
echo "| dockerd | runc | $(ms "$tmp/run.json" 1) |"
echo "| jinn system service | jinn-runtime | $(ms "$tmp/run.json" 2) |"
echo "| dockerd | jinn-runtime | $(ms "$tmp/run.json" 3) |"
echo
dr=$(median "$tmp/run.json" 1)
echo "- jinn (runc) / dockerd (runc) median: **$(ratio "$(median "$tmp/run.json" 0)" "$dr")**"
echo "- jinn (jinn-runtime) / dockerd (runc) median: **$(ratio "$(median "$tmp/run.json" 2)" "$dr")**"
echo "- jinn (jinn-runtime) / dockerd (jinn-runtime) median: **$(ratio "$(median "$tmp/run.json" 2)" "$(median "$tmp/run.json" 3)")**"
echo

# Idle memory: Rss of the service against dockerd + containerd (its
# child), both after the runs above and 3 s without requests.
rss() { awk '/^Rss:/ {print $2}' "/proc/$1/smaps_rollup"; }
sleep 3
jr=$(rss "$svc_pid")
dr=$(rss "$dockerd_pid")
cr=0
for p in $(pgrep -P "$dockerd_pid" containerd); do cr=$((cr + $(rss "$p"))); done
echo "Idle RSS (KiB, /proc/PID/smaps_rollup, 3 s after the runs):"
echo
echo "| server | Rss KiB |"
echo "| --- | --- |"
echo "| jinn system service | $jr |"
echo "| dockerd | $dr |"
echo "| containerd (dockerd's) | $cr |"
echo
echo "- jinn system service / (dockerd + containerd) Rss: **$(ratio "$jr" "$((dr + cr))")**"
echo
