// Command jinn-runtime is an OCI runtime with runc's command line. The same
// binary, re-executed as "init", is the container side of create and exec.
// The delete of a stopped container is served in C before Go starts
// (delete.c).
package main

// #cgo CFLAGS: -Wall -O2
import "C"

import (
	"os"
	"runtime/debug"

	"github.com/jinn-containers/jinn/internal/ocicli"
	"github.com/jinn-containers/jinn/internal/runtime"
)

func main() {
	// A runtime command lives milliseconds and allocates little: no GC.
	// (Wait turns it back on for a container that runs long.)
	debug.SetGCPercent(-1)
	if runtime.IsInit() {
		runtime.Init()
	}
	os.Exit(ocicli.Main(os.Args[1:]))
}
