#!/usr/bin/env bash
# `jinn-runtime delete` of containers whose init has exited (what the
# engine's monitor and containerd's shim run after every container), this
# build (JINN_BIN, default bin/) against another (BASE_BIN=DIR), interleaved:
# N containers (default 100) per side are created and started (/bin/true,
# runc's default spec), then deleted in turns, each delete timed from the
# caller's fork to its exit (EPOCHREALTIME). Prints medians and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
tmp=$(mktemp -d /tmp/jinn-bench-delete.XXXXXX)
declare -A bin
bin[after]="$(realpath "${JINN_BIN:-bin}")/jinn-runtime"
names=(after)
if [ -n "${BASE_BIN:-}" ]; then
	bin[base]="$(realpath "$BASE_BIN")/jinn-runtime"
	names=(base after)
fi
export JINN_CGROUP_PARENT=jinn-bench-delete-$$
cleanup() {
	set +e
	for n in "${names[@]}"; do
		for id in $(${bin[$n]} --root "$tmp/state-$n" list -q 2>/dev/null); do
			${bin[$n]} --root "$tmp/state-$n" delete --force "$id"
		done
	done
	for d in /sys/fs/cgroup/*/"$JINN_CGROUP_PARENT" /sys/fs/cgroup/unified/"$JINN_CGROUP_PARENT"; do
		[ -d "$d" ] && rmdir "$d"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/bundle"
cp -a "$fx/busybox" "$tmp/bundle/rootfs"
(cd "$tmp/bundle" && ${bin[after]} spec)
python3 - "$tmp/bundle/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["process"]["terminal"] = False
s["process"]["args"] = ["/bin/true"]
json.dump(s, open(p, "w"))
EOF
for i in $(seq "$N"); do
	for n in "${names[@]}"; do
		${bin[$n]} --root "$tmp/state-$n" create --bundle "$tmp/bundle" "d$i"
		${bin[$n]} --root "$tmp/state-$n" start "d$i"
	done
done
sleep 0.5 # every /bin/true has exited
for i in $(seq "$N"); do
	round=("${names[@]}")
	[ $((i % 2)) = 0 ] && [ "${#names[@]}" = 2 ] && round=("${names[1]}" "${names[0]}")
	for n in "${round[@]}"; do
		t0=$EPOCHREALTIME
		${bin[$n]} --root "$tmp/state-$n" delete --force "d$i"
		t1=$EPOCHREALTIME
		echo "$n ${t0/./} ${t1/./}" >>"$tmp/times"
	done
done
python3 - "$tmp/times" <<'EOF'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    n, a, b = line.split()
    t.setdefault(n, []).append((int(b) - int(a)) / 1000)
for n, v in t.items():
    print(f"{n:6} delete: median {statistics.median(v):.2f} ms, min {min(v):.2f}, p90 {sorted(v)[int(len(v) * .9)]:.2f} ({len(v)} runs)")
if "base" in t:
    print(f"after/base: {statistics.median(t['after']) / statistics.median(t['base']):.2f}x")
EOF
