#!/bin/bash
# Images benchmark (issue 5 point 8): `load` and `save` of a ~100 MB image,
# jinn beside podman (overlay driver, its default), and the time to make a
# container rootfs for a small and a large image (must not grow with size).
# Usage: bench/images.sh   (as root, after `make build`; writes bench/results/images.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
fx=${JINN_FIXTURES:-/var/lib/jinn-fixtures}
hack/mkimage-busybox.sh "$fx/images/busybox.tar"
hack/mkimage-big.sh "$fx/images/big.tar"
big=$fx/images/big.tar
work=$(mktemp -d /var/tmp/jinn-bench-images.XXXXXX)
pod="podman --root $work/pod/s --runroot $work/pod/r --storage-driver overlay --cgroup-manager cgroupfs --events-backend none"
cleanup() { $pod system reset -f >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
jinn="$PWD/bin/jinn --root $work/jinn"
mkdir -p bench/results
out=bench/results/images.md
runs=${RUNS:-5}

echo "## load of a $(du -m "$big" | cut -f1) MB image (fresh store each run)" | tee "$out"
hyperfine -N --runs "$runs" --export-markdown "$work/load.md" \
	--prepare "rm -rf $work/jinn" -n "jinn load" "$jinn load -q -i $big" \
	--prepare "$pod system reset -f" -n "podman load" "$pod load -q -i $big" >/dev/null
cat "$work/load.md" | tee -a "$out"

echo "## save of the same image" | tee -a "$out"
$jinn load -q -i "$big"
$pod load -q -i "$big" >/dev/null
hyperfine -N --runs "$runs" --export-markdown "$work/save.md" \
	-n "jinn save" "$jinn save -o $work/j.tar big:latest" \
	-n "podman save" "$pod save -q -o $work/p.tar localhost/big:latest" >/dev/null 2>&1 ||
hyperfine -N --runs "$runs" --export-markdown "$work/save.md" \
	--prepare "rm -f $work/j.tar $work/p.tar" \
	-n "jinn save" "$jinn save -o $work/j.tar big:latest" \
	-n "podman save" "$pod save -q -o $work/p.tar big:latest" >/dev/null
cat "$work/save.md" | tee -a "$out"

echo "## container rootfs (prepare + mount + unmount + remove), small vs large image" | tee -a "$out"
echo '```' | tee -a "$out"
JINN_BENCH_SMALL="$fx/images/busybox.tar" JINN_BENCH_LARGE="$big" \
	go test -run '^$' -bench BenchmarkRootfs -benchtime 200x ./internal/image/ | grep Benchmark | tee -a "$out"
echo '```' | tee -a "$out"
