// Command containerd-shim-jinn-v2 is jinn's containerd shim v2
// (runtime_type "io.containerd.jinn.v2"). It carries the runtime library,
// and so nsexec's constructor: re-executed as "init", it is the container
// side of create and exec, like jinn-runtime.
package main

// extern int jinn_shim_start_fd;
import "C"

import (
	"os"

	"github.com/jinn-containers/jinn/internal/runtime"
	"github.com/jinn-containers/jinn/internal/shim"
)

func main() {
	if runtime.IsInit() {
		runtime.Init()
	}
	// startfork.c forked a "start" before Go: this is its child, which
	// answers through the pipe and serves.
	os.Exit(shim.Main(os.Args[1:], int(C.jinn_shim_start_fd)))
}
