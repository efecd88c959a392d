#!/usr/bin/env bash
# Runs every benchmark in bench/, each side by side with the other tools it
# is compared to, and prints the ratios. Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")"
# latency first: engine.sh and density.sh free hundreds of containers' inodes
# on the stores' file system, and ext4 without a journal scans every inode
# freed in the last 30 s at each new one (BENCHMARKS.md, round 9), which
# would be timed as the next bench's.
for b in latency runtime engine density phases start waits images network build cri api; do
	[ -x "./$b.sh" ] || continue
	echo "== $b"
	"./$b.sh"
done
