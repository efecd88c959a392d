// Command jinn is a daemonless container engine with docker's command line.
// `run --rm` of an eligible command line is served in C before Go starts,
// from the plan two Go runs left (cliplan.c, internal/cliplan).
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
