// Command jinn is a daemonless container engine with docker's command line.
package main

import (
	"fmt"
	"os"

	"github.com/jinn-containers/jinn/internal/cli"
	"github.com/jinn-containers/jinn/internal/engine"
)

func main() {
	if err := cli.NewRoot().Execute(); err != nil {
		var ee *engine.ExitError
		if e, ok := err.(*engine.ExitError); ok {
			ee = e
		}
		if ee == nil || ee.Err != nil {
			fmt.Fprintln(os.Stderr, "jinn:", err)
		}
		os.Exit(engine.ExitCode(err))
	}
}
