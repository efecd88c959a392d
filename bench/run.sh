#!/usr/bin/env bash
# Runs every benchmark in bench/, each side by side with the other tools it
# is compared to, and prints the ratios. Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")"
for b in runtime engine density latency phases start waits images network build cri api; do
	[ -x "./$b.sh" ] || continue
	echo "== $b"
	"./$b.sh"
done
