#!/usr/bin/env bash
# bench/runtime.sh: `run` of /bin/true (create, start, wait, delete) on the
# busybox bundle with jinn-runtime, runc and crun, side by side in one
# hyperfine run, and the ratios.
#
# crun refuses this hybrid cgroup host (cgroup2 mounted at
# /sys/fs/cgroup/unified with no controllers), so the three are timed in a
# private mount namespace (unshare -m) where that mount is hidden: the same
# host for all three. jinn-runtime and runc are also timed on the host as is.
set -euo pipefail
cd "$(dirname "$0")/.."
JINN=${JINN:-$PWD/bin/jinn-runtime}
FIXTURES=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
RUNS=${RUNS:-200}
for t in hyperfine runc crun; do
	command -v $t >/dev/null || { echo "bench/runtime.sh: $t missing (make deps)" >&2; exit 1; }
done
[ -x "$JINN" ] || { echo "bench/runtime.sh: $JINN missing (make build)" >&2; exit 1; }

work=$(mktemp -d /tmp/jinn-bench-runtime.XXXXXX)
trap 'rm -rf "$work"' EXIT
bundle=$work/bundle
mkdir -p "$bundle" "$work/state"
cp -a "$FIXTURES/busybox" "$bundle/rootfs"
# One config.json for all three: runc's default, without a terminal.
(cd "$bundle" && runc spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$bundle/config.json"
grep -q '"/bin/true"' "$bundle/config.json"

jinn="$JINN --root $work/state/jinn run -b $bundle bench-jinn"
runc="runc --root $work/state/runc run -b $bundle bench-runc"
crun="crun --root $work/state/crun run -b $bundle bench-crun"

echo "## host as is (hybrid cgroups): jinn-runtime vs runc"
hyperfine -N --warmup 10 --runs "$RUNS" -n jinn-runtime "$jinn" -n runc "$runc"

echo
echo "## private mount namespace without /sys/fs/cgroup/unified: jinn-runtime vs runc vs crun"
unshare -m sh -c '
	mount --make-rprivate /
	umount /sys/fs/cgroup/unified
	exec hyperfine -N --warmup 10 --runs "$0" -n jinn-runtime "$1" -n crun "$2" -n runc "$3"
' "$RUNS" "$jinn" "$crun" "$runc"
