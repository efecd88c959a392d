// Command jinn is a daemonless container engine with docker's command line.
// `run --rm` of an eligible command line is served in C before Go starts,
// from the plan two Go runs left (cliplan.c, internal/cliplan).
//
// No //go:debug settings here: Go 1.25+ reads the cgroup's CPU limit at
// every start (/proc/self/cgroup, mountinfo; 4-5% of `jinn --version`)
// whatever containermaxprocs and updatemaxprocs say, and turning both off
// measured no gain; internal/cpu's feature switches (hash/crc32's SSE4.2
// tables, 5%) are read from the environment only. What the start pays is
// in BENCHMARKS.md, "Round 9: the Go CLI's start and exit".
package main

// #cgo CFLAGS: -Wall -O2
import "C"

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/cli"
	"github.com/jinn-containers/jinn/internal/engine"
)

func main() {
	// What the caller left open (a shell's redirection, a CI runner's
	// pipe) is not passed on to what jinn starts: a container's monitor
	// outlives this command, and a pipe it held would keep its reader
	// waiting for EOF as long as the container lives. jinn's own children
	// get their fds by ExtraFiles; systemd's LISTEN_FDS are taken before
	// any exec.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if cmd, err := cli.NewRootFor(os.Args[1:]).ExecuteC(); err != nil {
		var ee *engine.ExitError
		if e, ok := err.(*engine.ExitError); ok {
			ee = e
		}
		if ee == nil || ee.Err != nil {
			fmt.Fprintln(os.Stderr, "jinn:", err)
		}
		os.Exit(cli.ExitCode(cmd, err))
	}
}
