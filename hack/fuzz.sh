#!/usr/bin/env bash
# hack/fuzz.sh GO FUZZTIME PKG:NAME...: each Go fuzzer for FUZZTIME.
# Go 1.26's coordinator can fail a run at the -fuzztime boundary with a bare
# "context deadline exceeded" when a starved worker has not answered yet
# (golang/go#75804, fixed in Go 1.27): no input failed then. Such a run,
# and only such a run (no "Failing input written", no panic), is retried
# once; any other failure fails at once.
set -uo pipefail
go=$1 fuzztime=$2
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for f in "$@"; do
	pkg=${f%%:*} name=${f##*:}
	for try in 1 2; do
		echo "fuzz $name ($pkg, $fuzztime)"
		if "$go" test -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" "./$pkg" 2>&1 | tee "$log"; then
			break
		fi
		if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$log" &&
			! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
			echo "fuzz $name: the -fuzztime boundary race of Go 1.26 (golang/go#75804), no failing input: once more"
			continue
		fi
		exit 1
	done
done
