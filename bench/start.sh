#!/usr/bin/env bash
# The start of jinn's Go binaries: `perf stat -r N` of commands that do
# next to nothing (`jinn --version`, which fails as an unknown flag, `jinn
# rm` without arguments, `jinn-runtime --version`, `jinn-runtime state` of a
# missing container, with and without GOMAXPROCS=1 as the engine and the
# monitors run it), against Go hello worlds built the same ways (static
# without cgo as jinn, with cgo as jinn-runtime): the floor. With
# BASE_BIN=DIR another build's binaries run too; ROUNDS rounds (default 5)
# take turns command by command, and each figure is the median of the
# rounds: CPU (task-clock), page faults, context switches, wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
ROUNDS=${ROUNDS:-5}
command -v perf >/dev/null || { echo "start: needs perf" >&2; exit 0; }
tmp=$(mktemp -d /tmp/jinn-bench-start.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
after=$(realpath "${JINN_BIN:-bin}")
base=${BASE_BIN:+$(realpath "$BASE_BIN")}

# The floor: a Go program that writes one line, built as jinn is (static,
# no cgo) and as jinn-runtime is (cgo).
mkdir -p "$tmp/hello"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$tmp/hello/main.go"
printf 'package main\n\n// int x(void) { return 1; }\nimport "C"\n\nvar _ = C.x\n' >"$tmp/hello/cgo.go"
printf 'module hello\n\ngo 1.24\n' >"$tmp/hello/go.mod"
(cd "$tmp/hello" && mv cgo.go cgo.go.off && CGO_ENABLED=0 go build -trimpath -o hello-static . &&
	mv cgo.go.off cgo.go && go build -trimpath -o hello-cgo .)

# label|environment|command (the environment is perf's, a C program, and
# its child's: no env(1) exec in the figures)
cmds=("hello, static||$tmp/hello/hello-static" "hello, cgo||$tmp/hello/hello-cgo")
for b in ${base:+base} after; do
	d=$after
	[ "$b" = base ] && d=$base
	cmds+=("$b: jinn --version||$d/jinn --version"
		"$b: jinn rm (no args)||$d/jinn rm"
		"$b: jinn-runtime --version||$d/jinn-runtime --version"
		"$b: jinn-runtime state||$d/jinn-runtime --root $tmp/rt state none"
		"$b: jinn-runtime state, GOMAXPROCS=1|GOMAXPROCS=1|$d/jinn-runtime --root $tmp/rt state none")
done
for r in $(seq "$ROUNDS"); do
	for i in "${!cmds[@]}"; do
		IFS='|' read -r label envs cmd <<<"${cmds[$i]}"
		# shellcheck disable=SC2086
		env $envs perf stat -x, -r "$N" -e task-clock,page-faults,context-switches -- $cmd \
			>/dev/null 2>"$tmp/stat" || true
		awk -F, -v i="$i" '$3 == "task-clock" { t = $1 } $3 == "page-faults" { p = $1 }
			$3 == "context-switches" { c = $1 } END { printf "%s %.3f %d %d\n", i, t, p, c }' \
			"$tmp/stat" >>"$tmp/rows"
	done
done
echo "| command (median of $ROUNDS rounds of $N runs) | CPU ms | page faults | context switches |"
echo "| --- | --: | --: | --: |"
for i in "${!cmds[@]}"; do
	IFS='|' read -r label _ <<<"${cmds[$i]}"
	awk -v i="$i" -v l="$label" 'BEGIN { n = 0 } $1 == i { t[n] = $2; p[n] = $3; c[n] = $4; n++ }
		function med(a,   k, j, x) { for (k = 0; k < n; k++) for (j = k + 1; j < n; j++) if (a[j] < a[k]) { x = a[k]; a[k] = a[j]; a[j] = x }
			return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
		END { printf "| %s | %.2f | %d | %d |\n", l, med(t), med(p), med(c) }' "$tmp/rows"
done
