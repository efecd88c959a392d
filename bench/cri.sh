#!/usr/bin/env bash
# bench/cri.sh: Kubernetes' CRI benchmark (critest -benchmark, cri-tools
# v1.37.0) through Debian's containerd 1.6 with runtime handlers runc,
# jinn (runc's shim with jinn-runtime as its binary) and jinn-shim (jinn's
# own shim, containerd-shim-jinn-v2), side by side in one containerd,
# rounds interleaved, and the ratios to runc of each median:
# pod lifecycle (RunPodSandbox, PodSandboxStatus, StopPodSandbox,
# RemovePodSandbox) and container lifecycle (create, start, status, stop,
# remove). The harness is test/cri_bench_test.go: it starts containerd with
# its own config, root, sockets, CNI bridge and a loopback registry.
# ROUNDS (2) and N (10 pods and 10 containers per handler per round) size it;
# HANDLERS=runc,jinn-shim times only those (development runs);
# JINN_SHIM_SPARE=0 runs jinn-shim without its spare shims (docs/kubernetes.md).
# BASE_SHIM=BINARY times another build of containerd-shim-jinn-v2 (e.g.
# main's) as handler jinn-base beside the others, in the same containerd
# (add jinn-base to HANDLERS), and prints the two side by side.
# JINN_CRI_LOG=FILE runs containerd (and so the shims) at debug level and
# keeps its log there: per-call timings of the shims, containerd's steps.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
for b in jinn-runtime containerd-shim-jinn-v2; do
	[ -x bin/$b ] || { echo "bench/cri.sh: bin/$b missing (make build)" >&2; exit 1; }
done
make -s crictl critest
log=$(mktemp /tmp/jinn-bench-cri.XXXXXX)
base=
trap 'rm -f "$log"; [ -z "$base" ] || rm -rf "$base"' EXIT
if [ -n "${BASE_SHIM:-}" ]; then
	base=$(mktemp -d /tmp/jinn-bench-base.XXXXXX)
	cp "$BASE_SHIM" "$base/containerd-shim-jinnbase-v2"
	export JINN_CRI_BASE_SHIM=$base/containerd-shim-jinnbase-v2
fi
if ! JINN_CRI_BENCH=1 JINN_CRI_BENCH_ROUNDS=${ROUNDS:-2} JINN_CRI_BENCH_N=${N:-10} \
	JINN_CRI_BENCH_HANDLERS=${HANDLERS:-} \
	JINN_FIXTURES=${JINN_FIXTURES:-/var/lib/jinn-fixtures} JINN_BIN=$PWD/bin \
	go test -count=1 -p 1 -timeout 30m ./test -run '^TestCRIBench$' -v >"$log" 2>&1; then
	grep -v '^        time=' "$log" | tail -n 40 >&2
	exit 1
fi
sed -n '/^critest -benchmark/,/^--- /p' "$log" | grep -v '^--- '
